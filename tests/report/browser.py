#!/usr/bin/env python3
"""Load a local HTML file in headless Chromium and report what a person would see.

`chromium --screenshot` alone cannot answer the questions a report needs, so
Chromium is driven through the DevTools protocol (CDP) instead:

* a full-page screenshot needs the page's real content height, which only the
  laid-out page knows (Page.getLayoutMetrics);
* console messages, uncaught exceptions and JavaScript dialogs arrive as events;
* every network request the page attempts shows up as an event, even though a
  blackhole proxy makes all of them fail fast.

CDP is spoken over --remote-debugging-pipe (NUL-terminated JSON, commands on
fd 3, replies on fd 4), so no TCP port is opened.  The screenshot PNG is decoded
here, with the standard library only, to tell whether the page came out blank.

CLI: python3 browser.py PAGE.html OUT.png [--width 1280]
"""
import argparse
import fcntl
import json
import math
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from base64 import b64decode
from collections import Counter
from functools import lru_cache
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions",
    "--disable-background-networking", "--disable-sync",
    "--disable-component-update", "--mute-audio", "--hide-scrollbars",
    # Anything the page fetches goes to a closed port: it fails at once but is still seen.
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--enable-logging=stderr", "--v=0", "--remote-debugging-pipe",
]
DOM_COUNTS = {  # name -> selector; counted in the loaded page
    "script": "script", "svg": "svg", "img": "img", "iframe": "iframe",
    "object": "object", "embed": "embed", "link": "link",
    "event_handlers": "[onload],[onerror],[onclick],[onmouseover]",
}
VIEWPORT_HEIGHT = 800  # while loading; short pages report at least this height
BLANK_FRACTION = 1e-4   # fewer sampled pixels than this off the background: blank
MAX_SAMPLES = 250_000   # pixels looked at when judging blankness


class BrowserError(RuntimeError):
    pass


class _Cdp:
    """Numbered CDP requests over the pipe; events are kept while waiting for replies."""

    def __init__(self, write_fd, read_fd, deadline, timeout_s):
        self.write_fd, self.read_fd = write_fd, read_fd
        self.deadline, self.timeout_s = deadline, timeout_s
        self.session = None       # set once attached to the page target
        self.events = []          # (method, params) of the page session, in order
        self.last_id = 0
        self.buf = bytearray()
        self.scanned = 0          # bytes of buf already known to hold no NUL

    def send(self, method, **params):
        self.last_id += 1
        msg = {"id": self.last_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:               # a pipe write may be partial
            data = data[os.write(self.write_fd, data):]
        return self.last_id

    def call(self, method, **params):
        want = self.send(method, **params)
        reply = self._wait(lambda m: m.get("id") == want, f"reply to {method}")
        if "error" in reply:
            raise BrowserError(f"{method} failed: {reply['error'].get('message')}")
        return reply.get("result", {})

    def wait_event(self, method):
        return self._wait(lambda m: m.get("method") == method
                          and m.get("sessionId") == self.session, method)["params"]

    def settle(self, seconds):
        """Keep collecting events a little longer: late console output, late requests."""
        until = min(time.monotonic() + seconds, self.deadline)
        while (msg := self._receive(until)) is not None:
            self._handle(msg)

    def _wait(self, match, what):
        while True:
            msg = self._receive(self.deadline)
            if msg is None:
                raise TimeoutError(f"Chromium did not finish within {self.timeout_s}s "
                                   f"(still waiting for {what})")
            self._handle(msg)
            if match(msg):
                return msg

    def _handle(self, msg):
        if "method" not in msg or msg.get("sessionId") != self.session:
            return
        self.events.append((msg["method"], msg.get("params", {})))
        # An open alert/confirm/prompt blocks the page (and its load event) until answered.
        if msg["method"] == "Page.javascriptDialogOpening":
            self.send("Page.handleJavaScriptDialog", accept=False)

    def _receive(self, until):
        """The next message, or None once `until` (time.monotonic) has passed."""
        while (end := self.buf.find(b"\0", self.scanned)) < 0:
            self.scanned = len(self.buf)
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                return None
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe (did it crash?)")
            self.buf += chunk
        msg = json.loads(self.buf[:end])
        del self.buf[:end + 1]
        self.scanned = 0
        return msg


class _Chromium:
    """A headless Chromium with a fresh profile; killed and cleaned up on exit."""

    def __init__(self, timeout_s):
        self.timeout_s = timeout_s
        self.stderr = ""

    def __enter__(self):
        deadline = time.monotonic() + self.timeout_s
        self.tmp = tempfile.mkdtemp(prefix="report-chromium-")
        self.proc = None
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self.parent_fds = [cmd_w, rep_r]

        def wire():
            # In the child: put the pipe ends on fds 3 and 4, via fds >= 10 so that
            # neither dup2 can overwrite the other end.
            r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
            w = fcntl.fcntl(rep_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        try:
            with open(os.path.join(self.tmp, "stderr.log"), "wb") as log:
                # close_fds must stay off: Popen closes every fd not in pass_fds
                # *after* preexec_fn, which would undo the wiring.  Python opens its
                # own fds non-inheritable, so nothing else leaks into Chromium.
                # A new session lets us kill Chromium's helper processes with it.
                self.proc = subprocess.Popen(
                    [CHROMIUM, *FLAGS, f"--user-data-dir={self.tmp}/profile"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    close_fds=False, preexec_fn=wire, start_new_session=True)
        except BaseException:
            self.__exit__()
            raise
        finally:
            os.close(cmd_r)
            os.close(rep_w)
        self.cdp = _Cdp(cmd_w, rep_r, deadline, self.timeout_s)
        return self

    def __exit__(self, *exc):
        if self.proc:
            try:   # a clean exit lets Chromium reap its own helper processes
                os.write(self.parent_fds[0], b'{"id": 0, "method": "Browser.close"}\0')
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            try:   # whatever is left, e.g. after a crash
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in self.parent_fds:
            os.close(fd)
        with open(os.path.join(self.tmp, "stderr.log"), "rb") as log:
            self.stderr = log.read().decode("utf-8", "replace")
        shutil.rmtree(self.tmp, ignore_errors=True)


def render(html_path, png_path, width=1280, timeout_s=60, dark=False, clips=None):
    """Render html_path, write a full-page PNG to png_path and return what was seen:
    height, requests, console, dialogs, url, title, text, dom_counts, blank,
    distinct_colours, non_background_fraction, chromium_stderr."""
    page = Path(html_path).resolve()
    if not page.is_file():
        raise FileNotFoundError(page)
    chromium = _Chromium(timeout_s)
    try:
        with chromium:
            result = _inspect(chromium.cdp, page.as_uri(), width, dark, clips or {})
    except Exception as exc:
        exc.add_note(f"{page}; Chromium stderr ends:\n{chromium.stderr[-2000:]}")
        raise
    png = result.pop("png")
    Path(png_path).write_bytes(png)
    for name, shot in result.pop("clips").items():
        Path(png_path).with_name(f"{Path(png_path).stem}-{name}.png").write_bytes(shot)
    result.update(_blankness(png))
    result["chromium_stderr"] = chromium.stderr
    return result


def _inspect(cdp, url, width, dark, clips):
    """Open url in a new tab, wait for it to load, read it and take the screenshot, and one
    of each element `clips` names (name -> CSS selector), e.g. a figure for the docs."""
    target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
    cdp.session = cdp.call("Target.attachToTarget", targetId=target,
                           flatten=True)["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        cdp.call(f"{domain}.enable")   # before navigating, so no early event is missed
    # Lay the page out at the requested width from the start (media queries, scripts).
    metrics = dict(width=width, deviceScaleFactor=1, mobile=False)
    cdp.call("Emulation.setDeviceMetricsOverride", height=VIEWPORT_HEIGHT, **metrics)
    if dark:   # the reader's system asks for dark colours
        cdp.call("Emulation.setEmulatedMedia",
                 features=[{"name": "prefers-color-scheme", "value": "dark"}])
    nav = cdp.call("Page.navigate", url=url)
    if nav.get("errorText"):
        raise BrowserError(f"navigation failed: {nav['errorText']}")
    cdp.wait_event("Page.loadEventFired")
    cdp.settle(0.3)

    # Read the page from an isolated world, so page scripts cannot fake the answers.
    frame = cdp.call("Page.getFrameTree")["frameTree"]["frame"]["id"]
    world = cdp.call("Page.createIsolatedWorld", frameId=frame,
                     worldName="report")["executionContextId"]
    seen = cdp.call("Runtime.evaluate", contextId=world, returnByValue=True,
                    expression=f"""({{
        url: location.href,
        title: document.title,
        text: document.body ? document.body.innerText : "",
        dom_counts: Object.fromEntries(Object.entries({json.dumps(DOM_COUNTS)})
            .map(([name, sel]) => [name, document.querySelectorAll(sel).length])),
    }})""")["result"]["value"]

    # Make the viewport as tall as the content, so one screenshot shows all of it.
    size = cdp.call("Page.getLayoutMetrics")["cssContentSize"]
    height = max(1, math.ceil(size["height"]))
    cdp.call("Emulation.setDeviceMetricsOverride", height=height, **metrics)
    shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    shots = {}
    for name, selector in clips.items():
        box = cdp.call("Runtime.evaluate", contextId=world, returnByValue=True, expression=f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            if (!e) return null;
            const r = e.getBoundingClientRect();
            return {{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}};
        }})()""")["result"].get("value")
        if box is None:
            raise BrowserError(f"no element matches {selector!r} for the clip {name!r}")
        clip = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={**box, "scale": 1})
        shots[name] = b64decode(clip["data"])
    return {"height": height, **_events(cdp.events, nav.get("loaderId")),
            **seen, "png": b64decode(shot["data"]), "clips": shots}


def _events(events, page_loader):
    """The page's CDP events as the report's requests, console and dialogs lists."""
    requests, console, dialogs = [], [], []
    for method, p in events:
        if method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            # The page's own document is the request whose id is the navigation's loader.
            if p["requestId"] != page_loader and not url.startswith("data:"):
                requests.append(url)
        elif method == "Network.webSocketCreated":
            requests.append(p["url"])
        elif method == "Runtime.consoleAPICalled":
            args = (next((str(a[k]) for k in ("value", "unserializableValue", "description")
                          if k in a), a["type"]) for a in p.get("args", []))
            console.append(f"console.{p['type']}: {' '.join(args)}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            console.append(f"exception: {d.get('exception', {}).get('description', d['text'])}")
        elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            e = p["entry"]
            where = f" ({e['url']})" if e.get("url") else ""
            console.append(f"{e['level']}: {e['text']}{where}")
        elif method == "Page.javascriptDialogOpening":
            dialogs.append(f"{p['type']}: {p['message']}")
    return {"requests": requests, "console": console, "dialogs": dialogs}


def _blankness(png):
    """Distinct colours and off-background fraction over a grid of sampled pixels."""
    width, height, bpp, rows = _decode_png(png)
    step = max(1, round((width * height / MAX_SAMPLES) ** 0.5))
    colours = Counter(row[x:x + bpp] for row in rows[::step]
                      for x in range(0, width * bpp, step * bpp))
    background = colours.most_common(1)[0][1]
    fraction = 1 - background / sum(colours.values())
    return {"blank": fraction < BLANK_FRACTION, "distinct_colours": len(colours),
            "non_background_fraction": round(fraction, 6)}


def _decode_png(png):
    """(width, height, bytes per pixel, unfiltered rows) of an 8-bit RGB/RGBA PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError("screenshot is not a PNG")
    pos, idat = 8, []
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise BrowserError(f"unsupported PNG (depth {depth}, colour type {colour}, "
                                   f"interlace {interlace})")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        prev = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, bpp)
        rows.append(prev)
    return width, height, bpp, rows


def _unfilter(kind, cur, prev, bpp):
    """Undo one row's PNG filter.  None/Sub/Up (what Chromium emits for flat areas)
    work on whole rows as big integers; Average/Paeth go byte by byte."""
    n = len(cur)
    if kind == 0:
        return cur
    if kind == 2:   # Up: add the row above
        total = _add(int.from_bytes(cur, "little"), int.from_bytes(prev, "little"), n)
        return total.to_bytes(n, "little")
    if kind == 1:   # Sub: prefix sum over pixels, in log2(width) whole-row steps
        total, shift = int.from_bytes(cur, "little"), bpp * 8
        while shift < n * 8:
            total = _add(total, (total << shift) & _mask(n, 0xFF), n)
            shift *= 2
        return total.to_bytes(n, "little")
    out = bytearray(cur)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if kind == 3:
            out[i] = (out[i] + (a + b) // 2) & 0xFF
        elif kind == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            raise BrowserError(f"bad PNG filter type {kind}")
    return bytes(out)


@lru_cache(maxsize=None)
def _mask(n, byte):
    return int.from_bytes(bytes([byte]) * n, "little")


def _add(x, y, n):
    """Bytewise (x + y) mod 256 of two n-byte integers: add the low 7 bits of each
    byte (no carry can cross into the next byte), then fix the top bits with xor."""
    low = _mask(n, 0x7F)
    return ((x & low) + (y & low)) ^ ((x ^ y) & _mask(n, 0x80))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--dark", action="store_true", help="as a reader whose system asks for dark colours")
    parser.add_argument("--clip", action="append", default=[], metavar="NAME=SELECTOR",
                        help="also write OUT-NAME.png of the element SELECTOR matches")
    args = parser.parse_args()
    clips = dict(clip.split("=", 1) for clip in args.clip)
    result = render(args.page, args.png, width=args.width, dark=args.dark, clips=clips)
    del result["text"], result["chromium_stderr"]
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
