"""Snapshot references: numbering a page's interactive elements for the action set."""

from __future__ import annotations

from typing import Any

__all__ = ["SNAPSHOT_JS", "ref_selector"]

# Runs in the page: numbers visible interactive elements, returns a bounded description.
SNAPSHOT_JS = """
() => {
  const sel = 'a[href],button,input,select,textarea,' +
              '[role=button],[role=link],[contenteditable=true]';
  const out = [];
  let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    if (n >= 500) break;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    n += 1;
    const ref = 'e' + n;
    el.setAttribute('data-hexr-ref', ref);
    const name = (el.getAttribute('aria-label') || el.getAttribute('placeholder') ||
                  el.getAttribute('name') || el.innerText || el.value || '').trim();
    out.push({ref, tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '',
              name: name.slice(0, 120)});
  }
  return out;
}
"""


def ref_selector(ref: str) -> str:
    """The selector of snapshot reference ``ref`` (validated ``e<number>``)."""
    return f'[data-hexr-ref="{ref}"]'


def snapshot_items(raw: Any) -> list[dict[str, str]]:
    """The page's snapshot, kept to strings."""
    if not isinstance(raw, list):
        return []
    return [{k: str(v) for k, v in item.items()} for item in raw if isinstance(item, dict)]
