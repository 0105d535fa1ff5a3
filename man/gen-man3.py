#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen-man3.py - libpto's section-3 manual pages from its public headers.

    gen-man3.py --out DIR --version V [--env docs/env.md] HEADER...
    gen-man3.py --list HEADER...        the page files it would write

The headers' kernel-doc comments are the one source of truth: every public
declaration (function, static inline, struct, enum, typedef, PTO_ macro) is
taken with the comment that documents it and placed on the page of its group
(GROUPS below); each page is written as scdoc(5) source and rendered by
scdoc(1).  Every function also gets a one-line page ".so"-ing its group page,
so `man pto_mem_alloc` works.  The overview libpto(3) is man/libpto.3.scd.in
with the headers' file comments and the environment table of docs/env.md
filled in.  A public function without a comment, or a name no group claims,
is an error: the pages cannot silently lose part of the API.
"""
import argparse
import os
import re
import subprocess
import sys

# page, what it covers (NAME line), name patterns it claims (first match wins)
GROUPS = [
    ("pto_device", "opening a pto2 device, describing it, listing the devices",
     [r"^pto_device_", r"^struct pto_device_info$", r"^struct pto_device_entry$"]),
    ("pto_memory", "device memory: allocation, host mappings, copies",
     [r"^pto_mem_"]),
    ("pto_runtime", "creating, configuring and running a task runtime",
     [r"^pto_runtime", r"^pto_register_kernel$", r"^pto_run", r"^typedef pto_orch_fn$",
      r"^struct pto_run", r"^enum pto_dep_mode$", r"^enum pto_hazard_mode$", r"^PTO_RT_",
      r"^PTO_NUM_RINGS$"]),
    ("pto_tasks", "tensors, argument lists, submitting tasks, blocking tensor access",
     [r"^pto_tensor_", r"^struct pto_tensor$", r"^PTO_TENSOR_", r"^pto_args?_",
      r"^struct pto_args$", r"^enum pto_arg_kind$", r"^PTO_MAX_ARG_DEPS$",
      r"^pto_submit", r"^struct pto_launch$", r"^PTO_LAUNCH_", r"^PTO_NO_KERNEL$",
      r"^PTO_TASK_NONE$"]),
    ("pto_scopes", "scopes and explicit dependencies",
     [r"^pto_scope_", r"^enum pto_scope_mode$", r"^PTO_SCOPE$", r"^pto_add_dependency$"]),
    ("pto_tracing", "exporting the trace of a run", [r"^pto_trace_"]),
    ("pto_errors", "status codes and error messages",
     [r"^pto_strerror$", r"^pto_last_error$", r"^pto_error_set$", r"^enum pto_status$"]),
    ("pto_group", "one workload over several devices: groups, buffers, device programs",
     [r"^pto_group", r"^struct pto_group", r"^PTO_GROUP_", r"^PTO_PROG_", r"^enum pto_use_mode$",
      r"^struct pto_use$", r"^struct pto_prog$", r"^typedef pto_prog_fn$"]),
    ("pto_kernels", "writing kernels: what a kernel function sees",
     [r"^pto_kernel_", r"^struct pto_kernel_ctx$", r"^typedef pto_kernel_fn$"]),
    # libpto-mpi's (pto/pto_mpi.h): installed with that library (mk/mpi.mk)
    ("pto_mpi", "one workload over many ranks (hosts), on MPI: libpto-mpi",
     [r"^pto_mpi", r"^struct pto_mpi", r"^PTO_MPI_"]),
]

# the header and pkg-config package of a group's SYNOPSIS, where not libpto's own
PAGE_LINK = {"pto_mpi": ("pto/pto_mpi.h", "libpto-mpi")}


def die(msg):
    sys.exit("gen-man3: " + msg)


# --- reading a header ---------------------------------------------------------------


def strip_cplusplus(lines):
    """Drop the #ifdef __cplusplus guards (their extern "C" braces are not API)."""
    out, skip = [], 0
    for ln in lines:
        if re.match(r"\s*#\s*ifdef\s+__cplusplus", ln):
            skip = 1
            out.append("")
            continue
        if skip:
            if re.match(r"\s*#\s*endif", ln):
                skip = 0
            out.append("")
            continue
        out.append(ln)
    return out


def items_of(path):
    """(kind, line, text) items: 'comment', 'code' and 'macro', plus 'blank' lines."""
    lines = strip_cplusplus(open(path, encoding="utf-8").read().split("\n"))
    items, i, n = [], 0, len(lines)
    while i < n:
        ln = lines[i]
        s = ln.strip()
        if not s:
            items.append(("blank", i, ""))
            i += 1
        elif s.startswith("/*"):
            j, buf = i, []
            while True:
                buf.append(lines[j])
                if "*/" in lines[j]:
                    break
                j += 1
            text = "\n".join(buf)
            rest = text[text.index("*/") + 2:].strip()
            items.append(("comment", i, text[:text.index("*/") + 2]))
            if rest:
                die(f"{path}:{j + 1}: code after a comment on the same line")
            i = j + 1
        elif s.startswith("//"):
            items.append(("comment", i, s))
            i += 1
        elif s.startswith("#"):
            j, buf = i, [ln]
            while buf[-1].endswith("\\"):
                j += 1
                buf.append(lines[j])
            m = re.match(r"\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", ln)
            if m:
                items.append(("macro", i, "\n".join(buf)))
            i = j + 1
        else:
            # a declaration: to ';' at depth 0, or a body's closing brace
            j, buf, depth = i, [], 0
            while j < n:
                buf.append(lines[j])
                done = False
                for c in lines[j]:
                    if c in "({":
                        depth += 1
                    elif c in ")}":
                        depth -= 1
                        if depth == 0 and c == "}" and "=" not in "".join(buf).split("{")[0] \
                                and not re.match(r"\s*(struct|enum|union|typedef)\b", buf[0]):
                            done = True
                    elif c == ";" and depth == 0:
                        done = True
                if done:
                    break
                j += 1
            items.append(("code", i, "\n".join(buf)))
            i = j + 1
    return items


def decl_name(kind, text):
    """The public name a declaration defines, or None (forward declarations, internals)."""
    if kind == "macro":
        m = re.match(r"\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", text)
        name = m.group(1)
        if name.startswith("PTO__") or not name.startswith("PTO_") or name.endswith("_H"):
            return None
        return name
    flat = re.sub(r"\s+", " ", text)
    m = re.match(r"\s*typedef\b.*\(\s*\*\s*(\w+)\s*\)", flat)
    if m:
        return "typedef " + m.group(1)
    m = re.match(r"\s*(struct|enum) (\w+) \{", flat)
    if m:
        return m.group(1) + " " + m.group(2)
    if re.match(r"\s*(struct|enum) \w+ ?;", flat):
        return None
    head = flat.split("{")[0]
    collapsed = head
    while True:
        nxt = re.sub(r"\([^()]*\)", "@", collapsed)
        if nxt == collapsed:
            break
        collapsed = nxt
    m = re.search(r"\b(pto_\w+)\s*@", collapsed)
    return m.group(1) if m else None


def synopsis_text(kind, text):
    """What the SYNOPSIS shows: prototypes and definitions, bodies of inlines cut."""
    if kind == "code" and re.match(r"\s*static\s+inline\b", text):
        return text.split("{")[0].rstrip() + ";"
    return text


def comment_body(text):
    """A comment's lines without the comment markers."""
    if text.startswith("//"):
        return [text[2:].strip()]
    body = text.strip()
    body = re.sub(r"^/\*\*?", "", body)
    body = re.sub(r"\*/$", "", body)
    out = []
    for ln in body.split("\n"):
        ln = re.sub(r"^\s*\* ?", "", ln) if re.match(r"^\s*\*", ln) else ln.strip()
        out.append(ln.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def documented(path):
    """[(name, synopsis, comment lines or None)] of one header, and its file comment."""
    items = items_of(path)
    intro = None
    for kind, _, text in items:
        if kind == "comment":
            body = comment_body(text)
            if body and not body[0].startswith("SPDX"):
                intro = body
                break
    decls = []
    para = []          # comments of the current blank-line-separated paragraph
    prev = None
    for kind, _, text in items:
        last, prev = prev, kind
        if kind == "blank":
            para = []
            continue
        if kind == "comment":
            para.append(comment_body(text))
            continue
        name = decl_name(kind, text)
        if name is None:
            continue
        plain = name.split(" ")[-1]
        doc = None
        trailing = re.search(r"/\*(.*?)\*/\s*$", text) if kind == "macro" else None
        if trailing:                    # "#define X 1  /* what X is */"
            doc = [trailing.group(1).strip()]
        elif last == "comment":         # the comment right above it
            doc = para[-1]
        else:           # the paragraph's comment naming it, else the nearest one
            for c in para:
                if re.search(r"(^|[^\w])" + re.escape(plain) + r"\b", c[0] if c else ""):
                    doc = c
                    break
            if doc is None and para:
                doc = para[-1]
        if doc is intro:
            doc = None
        decls.append((name, synopsis_text(kind, text), doc))
    return intro, decls


# --- writing scdoc ---------------------------------------------------------------------


def esc(s):
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def inline(s):
    """kernel-doc markup to scdoc: %CONST and func() bold, @arg underlined."""
    out, pos = [], 0
    pat = re.compile(r"%([A-Za-z_][\w]*)|@([A-Za-z_]\w*(?:->\w+)?)|\b([A-Za-z_]\w*)\(\)")
    for m in pat.finditer(s):
        out.append(esc(s[pos:m.start()]))
        if m.group(1):
            out.append("*" + esc(m.group(1)) + "*")
        elif m.group(2):
            out.append("_" + esc(m.group(2)) + "_")
        else:
            out.append("*" + esc(m.group(3)) + "*()")
        pos = m.end()
    out.append(esc(s[pos:]))
    return "".join(out)


def prose(lines):
    """Comment lines to scdoc paragraphs; tab-indented runs (tables, code) stay literal."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("\t"):
            block = []
            while i < len(lines) and (lines[i].startswith("\t") or not lines[i].strip()):
                block.append(lines[i][1:] if lines[i].startswith("\t") else "")
                i += 1
            while block and not block[-1]:
                block.pop()
            out += ["```"] + [b.expandtabs(8) for b in block] + ["```", ""]
            continue
        ln = lines[i].strip()
        if ln.startswith("Return:"):
            out.append("*Return:* " + inline(ln[len("Return:"):].strip()))
        else:
            out.append(line_start(inline(ln)) if ln else "")
        i += 1
    return out


def line_start(s):
    """Escape what scdoc reads as a table, list, heading or indent at a line's start."""
    return "\\" + s if s[:1] in "[]|:-.#\t+`" else s


def render_doc(name, doc):
    """A declaration's kernel-doc comment as scdoc lines: summary, arguments, text, return."""
    if not doc:
        return []
    lines = list(doc)
    summary = lines.pop(0)
    m = re.match(r"^(?:struct |enum |typedef )?[\w, @]+(?:\(\))?\s+-\s+(.*)$", summary)
    if not m:       # a plain comment: all of it is the description
        return prose(doc)
    summary = m.group(1)
    while lines and lines[0].strip() and not lines[0].startswith("@") and \
            not lines[0].startswith("\t"):
        summary += " " + lines.pop(0).strip()
    out = [line_start(inline(summary[:1].upper() + summary[1:])), ""]
    params, body = [], []
    cur = None
    for ln in lines:
        pm = re.match(r"^@([\w, @]+):\s*(.*)$", ln)
        if pm:
            cur = [pm.group(1), pm.group(2)]
            params.append(cur)
        elif cur is not None and ln.startswith("\t") and not body:
            cur[1] += " " + ln.strip()
        else:
            cur = None
            body.append(ln)
    for p, text in params:
        names = ", ".join("_" + esc(x.strip().lstrip("@")) + "_" for x in p.split(","))
        out.append("- " + names + ": " + inline(text))
    if params:
        out.append("")
    while body and not body[0].strip():
        body.pop(0)
    return out + prose(body)


def group_of(name):
    for page, _, pats in GROUPS:
        for p in pats:
            if re.search(p, name.split(" ")[-1]) or re.search(p, name):
                return page
    return None


def collect(headers):
    pages = {g[0]: [] for g in GROUPS}
    intros = []
    errors = []
    for h in headers:
        intro, decls = documented(h)
        rel = "pto/" + os.path.basename(h)
        if intro:
            intros.append((rel, intro))
        for name, syn, doc in decls:
            page = group_of(name)
            if page is None:
                errors.append(f"{h}: {name}: no man page group claims it (GROUPS in {sys.argv[0]})")
                continue
            is_fn = not name.startswith(("struct ", "enum ", "typedef ")) and \
                not re.match(r"^PTO_[A-Z0-9_]+$", name)
            if is_fn and not doc:
                errors.append(f"{h}: {name}(): no comment documents it")
            pages[page].append((name, syn, doc, is_fn))
    if errors:
        die("\n  ".join(["undocumented API:"] + errors))
    return pages, intros


def page_scd(page, what, entries, version):
    fns = [e[0] for e in entries if e[3]]
    out = [f"{page.upper()}(3) \"pto2 {version}\" \"libpto manual\"", "", "# NAME", ""]
    out.append(esc(", ".join([page] + fns)) + " - " + esc(what))
    header, package = PAGE_LINK.get(page, ("pto/pto.h", "libpto"))
    out += ["", "# SYNOPSIS", "", "```", f"#include <{header}>", ""]
    for _, syn, _, _ in entries:
        out += [ln.expandtabs(8) for ln in syn.split("\n")] + [""]
    out[-1:] = ["```", "", f"Link with *pkg-config --cflags --libs {package}*.", ""]
    out += ["# DESCRIPTION", ""]
    for name, _, doc, is_fn in entries:
        if not doc:
            continue
        out += ["## " + esc(name) + ("()" if is_fn else ""), ""]
        out += render_doc(name, doc) + [""]
    out += ["# SEE ALSO", "", "*libpto*(3), " +
            ", ".join(f"*{esc(g[0])}*(3)" for g in GROUPS if g[0] != page), ""]
    return "\n".join(out)


def env_entries(path):
    """Rows of the table in docs/env.md: | `NAME` | read by | default | meaning |."""
    rows = []
    for ln in open(path, encoding="utf-8"):
        m = re.match(r"^\|\s*`([A-Z0-9_]+)`\s*\|(.*)\|\s*$", ln)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            rows.append((m.group(1), cells))
    if not rows:
        die(f"{path}: no environment table rows")
    return rows


def md_inline(s):
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)
    parts = re.split(r"`([^`]*)`", s)
    return "".join(("*" + esc(p) + "*") if i % 2 else esc(p) for i, p in enumerate(parts))


def overview_scd(template, version, intros, env):
    text = open(template, encoding="utf-8").read()
    intro_lines = []
    for rel, body in intros:
        m = re.match(r"^\S+ - (.*)$", body[0])
        body = body[1:] if m and len(body) > 1 else [m.group(1)] if m else body
        intro_lines += ["## " + esc(rel), ""] + prose(body) + [""]
    env_lines = []
    for name, cells in env:
        reader, default, meaning = (cells + ["", "", ""])[:3]
        env_lines += [f"*{esc(name)}*", "\t" + md_inline(meaning) +
                      f" Read by {md_inline(reader)}; default {md_inline(default)}.", ""]
    pages = ["- *" + esc(g[0]) + "*(3): " + esc(g[1]) for g in GROUPS]
    return (text.replace("@VERSION@", version)
            .replace("@HEADERS@", "\n".join(intro_lines).rstrip())
            .replace("@ENVIRONMENT@", "\n".join(env_lines).rstrip())
            .replace("@PAGES@", "\n".join(pages)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--version", default="0")
    ap.add_argument("--env")
    ap.add_argument("--template")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("headers", nargs="+")
    a = ap.parse_args()
    pages, intros = collect(a.headers)
    files = {"libpto.3": None}
    for page, what, _ in GROUPS:
        files[page + ".3"] = None
        for e in pages[page]:
            if e[3]:
                if e[0] + ".3" in files:
                    die(f"{e[0]}: a page of that name already exists")
                files[e[0] + ".3"] = page
    if a.list:
        print("\n".join(sorted(files)))
        return
    if not (a.out and a.env and a.template):
        die("--out, --env and --template are needed to write pages")
    os.makedirs(a.out, exist_ok=True)

    def scdoc(src, dst):
        r = subprocess.run(["scdoc"], input=src.encode(), capture_output=True)
        if r.returncode:
            sys.stderr.write(src)
            die(f"scdoc failed for {dst}: {r.stderr.decode().strip()}")
        open(os.path.join(a.out, dst), "wb").write(r.stdout)

    scdoc(overview_scd(a.template, a.version, intros, env_entries(a.env)), "libpto.3")
    for page, what, _ in GROUPS:
        if not pages[page]:
            die(f"page {page} is empty: its group matches nothing")
        scdoc(page_scd(page, what, pages[page], a.version), page + ".3")
    for f, target in files.items():
        if target:
            open(os.path.join(a.out, f), "w").write(f".so man3/{target}.3\n")


if __name__ == "__main__":
    main()
