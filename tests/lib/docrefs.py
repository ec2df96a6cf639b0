#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# docrefs.py CHECK [TIU] - what the documents point at exists (tests/docs.t).
# Prints one problem per line (nothing when all is well) and, last, a line
# "checked: N" with the number of references it checked. Run from the
# repository's root.
#
# The documents: README.md, every docs/*.md, tests/README.md and
# loader/README.md. Checks:
#   links     every relative Markdown link names a file that exists, and its
#             #anchor a heading of that file (GitHub's anchor rules)
#   titles    every 'FILE.md, "Title"' or 'FILE.md "Title"' (in any tracked
#             file) names a heading of FILE.md
#   paths     every repository path in backticks exists (placeholders in
#             capitals, DATE or ARCH, are not paths)
#   make      every `make TARGET` in code names a target of the Makefile
#   tiu       every `tiu COMMAND --option` in code: COMMAND is in
#             `tiu --help`, the option in `tiu COMMAND --help` or `tiu --help`
import glob
import os
import re
import subprocess
import sys

DOCS = sorted(set(['README.md', 'tests/README.md', 'loader/README.md'] +
                  glob.glob('docs/*.md')))
DOCS = [d for d in DOCS if os.path.exists(d)]


def read(p):
    with open(p, encoding='utf-8') as f:
        return f.read()


def headings(p):
    """Headings of a Markdown file outside code blocks, without the hashes."""
    out, fence = [], False
    for line in read(p).split('\n'):
        if line.startswith('```'):
            fence = not fence
            continue
        m = re.match(r'^#{1,6} (.*?)\s*$', line)
        if m and not fence:
            out.append(m.group(1))
    return out


def anchor(title):
    """GitHub's anchor of a heading: lower case, punctuation dropped,
    spaces to -, backticks and other markup removed."""
    t = title.lower()
    t = re.sub(r'[^\w\- ]', '', t)
    return t.replace(' ', '-')


def anchors(p):
    return {anchor(h) for h in headings(p)}


def code_texts(text):
    """Code spans and lines of fenced code blocks."""
    out, fence = [], False
    for line in text.split('\n'):
        if line.startswith('```'):
            fence = not fence
            continue
        if fence:
            out.append(line)
        else:
            # a span after "alias" names a string, not a command
            out.extend(re.findall(r'(?<!alias )`([^`\n]+)`', line))
    return out


def tracked():
    try:
        r = subprocess.run(['git', 'ls-files'], capture_output=True, text=True, check=True)
        return r.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return [os.path.relpath(os.path.join(d, f)) for d, _, fs in os.walk('.')
                if not d.startswith('./build') for f in fs]


def check_links():
    n, bad = 0, []
    for doc in DOCS:
        text = read(doc)
        # drop fenced code: a link there is an example, not a link
        text = re.sub(r'```.*?```', '', text, flags=re.S)
        for target in re.findall(r'\]\(([^)\s]+)\)', text):
            if re.match(r'[a-z]+:', target):
                continue            # http:, mailto:
            n += 1
            path, _, frag = target.partition('#')
            full = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
            if not os.path.exists(full):
                bad.append('%s: link to %s: no such file' % (doc, target))
                continue
            if frag and full.endswith('.md') and frag not in anchors(full):
                bad.append('%s: link to %s: %s has no heading #%s' % (doc, target, full, frag))
    return n, bad


def check_titles():
    n, bad = 0, []
    for f in tracked():
        if f == 'tests/docs.t' or f.startswith('tests/results/') or not os.path.isfile(f):
            continue
        try:
            text = read(f)
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        text = re.sub(r'\s*\n[\s#*/]*', ' ', text)   # references wrap over comment lines
        for md, title in re.findall(r'((?:[\w./-]+/)?[\w-]+\.md),? "([^"]+)"', text):
            if md.startswith('../') or not os.path.exists(md):
                if md.startswith(('docs/', 'tests/', 'loader/')) or md == 'README.md':
                    bad.append('%s: "%s" of %s: no such file' % (f, title, md))
                continue
            n += 1
            if title not in headings(md):
                bad.append('%s: %s has no heading "%s"' % (f, md, title))
    return n, bad


PATH_RE = re.compile(r'`((?:headers|xdp|tc|loader|tests|bench|docs|packaging|scripts)/[\w./@-]*)`')


def check_paths():
    n, bad = 0, []
    for doc in DOCS:
        for p in sorted(set(PATH_RE.findall(read(doc)))):
            if re.search(r'[A-Z]{2,}|\bX\b', p):
                continue            # a placeholder: tests/results/mutants-DATE.md
            n += 1
            if not os.path.exists(p.rstrip('/')):
                bad.append('%s: `%s` does not exist' % (doc, p))
    return n, bad


def make_targets():
    t = set()
    for line in read('Makefile').split('\n'):
        m = re.match(r'^([a-z][\w .-]*?)\s*:(?!=)', line)
        if m:
            t.update(m.group(1).split())
    return t


def check_make():
    targets, n, bad = make_targets(), 0, []
    for doc in DOCS:
        for code in code_texts(read(doc)):
            for m in re.finditer(r'(?:^|[\s;(&|])make\s+((?:-\S+\s+|[A-Z_]+=\S*\s+)*)([a-z][\w-]*)', code):
                n += 1
                if m.group(2) not in targets:
                    bad.append('%s: `make %s`: no such target in the Makefile' % (doc, m.group(2)))
    return n, bad


def helptext(tiu, *args):
    r = subprocess.run([tiu, *args, '--help'], capture_output=True, text=True)
    return r.stdout + r.stderr


def check_tiu(tiu):
    top = helptext(tiu)
    commands = set(re.findall(r'^  ([a-z]+) ', top, flags=re.M))
    if not commands:
        return 0, ['`%s --help` lists no commands' % tiu]
    helps, n, bad = {}, 0, []
    for doc in DOCS:
        for code in code_texts(read(doc)):
            for m in re.finditer(r'(?:^|[\s;(&|$])tiu((?:\s+-[jv]|\s+--(?:json|verbose))*)\s+([a-z][a-z-]*|--[a-z-]+)([^;&|>#`]*)', code):
                cmd, rest = m.group(2), m.group(3)
                if cmd.startswith('--'):
                    n += 1
                    if cmd not in top:
                        bad.append('%s: `tiu %s`: not in `tiu --help`' % (doc, cmd))
                    continue
                n += 1
                if cmd not in commands:
                    bad.append('%s: `tiu %s`: no such command in `tiu --help`' % (doc, cmd))
                    continue
                if cmd not in helps:
                    helps[cmd] = helptext(tiu, cmd)
                for opt in re.findall(r'(?<![\w-])(--[a-z][a-z-]*)', rest):
                    n += 1
                    if not re.search(re.escape(opt) + r'(?![a-z-])', helps[cmd] + top):
                        bad.append('%s: `tiu %s %s`: not in `tiu %s --help`' % (doc, cmd, opt, cmd))
    return n, bad


def main():
    what = sys.argv[1]
    if what == 'links':
        n, bad = check_links()
    elif what == 'titles':
        n, bad = check_titles()
    elif what == 'paths':
        n, bad = check_paths()
    elif what == 'make':
        n, bad = check_make()
    elif what == 'tiu':
        n, bad = check_tiu(sys.argv[2])
    elif what == 'docs':
        print('\n'.join(DOCS))
        return
    else:
        sys.exit('docrefs.py: unknown check %s' % what)
    for b in sorted(set(bad)):
        print(b)
    print('checked: %d' % n)


if __name__ == '__main__':
    main()
