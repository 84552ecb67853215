#!/usr/bin/env python3
"""Fails on a broken link in the built documentation site.

    python3 tools/docs/check_links.py SITE_DIR

Every relative href/src in every page must name a file of the site; in the guide's pages (not
Doxygen's api/), a #fragment must also name an id in the target page. External links (http:,
https:, mailto:) are not followed: the build runs offline.
"""
import html.parser
import os
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if name in ("href", "src") and value and tag not in ("base",):
                self.links.append(value)


def parse(path, cache={}):
    if path not in cache:
        page = Page()
        with open(path, encoding="utf-8", errors="replace") as f:
            page.feed(f.read())
        cache[path] = page
    return cache[path]


def main(site):
    site = os.path.abspath(site)
    broken, checked = [], 0
    for folder, _, files in os.walk(site):
        for name in files:
            # 404.html is for a web server (MkDocs writes its links from the site's root).
            if not name.endswith(".html") or (name == "404.html" and folder == site):
                continue
            path = os.path.join(folder, name)
            in_api = os.path.relpath(path, site).startswith("api" + os.sep)
            for link in parse(path).links:
                url = urllib.parse.urlsplit(link)
                if url.scheme or link.startswith("//"):
                    continue  # external, data:, javascript:
                target = path if not url.path else os.path.normpath(
                    os.path.join(folder, urllib.parse.unquote(url.path)))
                checked += 1
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not os.path.isfile(target):
                    broken.append(f"{os.path.relpath(path, site)}: {link} (no such file)")
                elif (url.fragment and not in_api and target.endswith(".html")
                      and url.fragment not in parse(target).ids):
                    broken.append(f"{os.path.relpath(path, site)}: {link} (no such anchor)")
    for b in broken:
        print("broken link:", b)
    print(f"check_links: {checked} links checked, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
