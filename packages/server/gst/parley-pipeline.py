#!/usr/bin/env python3
"""
Parley's media-out pipeline program: gst-launch-1.0 for one pipeline, plus live changes.

  parley-pipeline.py -e PIPELINE-ARGUMENTS...

It builds the pipeline from the same arguments gst-launch-1.0 takes (Gst.parse_launchv) and
prints the lines the server's PipelineSupervisor reads from gst-launch ("Setting pipeline to
PLAYING ...", "progressreport0 (HH:MM:SS): N seconds", "ERROR: from element PATH: MESSAGE"),
so one supervisor runs both. SIGINT (or stdin closing: the server went) sends EOS, waits for
it to reach the sink (the FLV/MP4 is finished) and exits 0; an error exits 1.

What gst-launch cannot do: it reads one JSON command a line on stdin and answers each with
one JSON line on stdout, {"id": N, "ok": true} or {"id": N, "ok": false, "error": "..."}:

  {"id": 1, "op": "set", "name": "q30004", "pad": {"xpos": "10", "zorder": "2"},
   "props": {"caps": "video/x-raw,width=320,height=180"}}
      sets properties (values as gst-launch writes them) on the element NAME ("props") and
      on the mixer sink pad its src pad feeds ("pad": compositor xpos/ypos/width/height/
      zorder/alpha, audiomixer volume); either may be left out.
  {"id": 2, "op": "add", "description": "udpsrc ... ! queue name=q30006", "mixer": "comp",
   "pad": {...}}
      adds an input branch (its one unlinked src pad goes to a new sink pad of MIXER).
  {"id": 3, "op": "remove", "name": "q30006"}
      removes the branch that ends in NAME (every element upstream of it) and its mixer pad.
  {"id": 4, "op": "ping"}

Commands run on the main loop, between buffers: a pad's new position applies from the next
output frame.

Lip sync: each input's rtpjitterbuffer (mode=synced: timestamps from the RTP clock, not from
when packets happen to arrive) takes its sender's RTCP sender reports on sink_rtcp. The
sender is mediasoup on this machine: its reports map each stream's RTP time to the instant the
media was captured, on its NTP clock (this machine's wall clock). On each report LipSync sets
the jitterbuffers' ts-offset so that the streams of one sender (one CNAME: a client's audio
and video) play at their capture instants plus one delay, plus each input's own bias (the
ts-offset given on the launch line; see pipeline.ts): audio and video captured together are
mixed together, whatever their encoders, the network or this machine's load did to their
arrival.

Keep this file dependency-free apart from python3-gi and GStreamer's typelib
(Debian: python3-gi, gir1.2-gstreamer-1.0).
"""
import json
import os
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, GObject, Gst  # noqa: E402


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# How long a stop waits for the output to finish (EOS) before the process exits anyway.
EOS_GRACE_S = 10

def err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


# NTP time (1900) of the Unix epoch, ns.
NTP_UNIX_OFFSET_NS = 2208988800 * 1_000_000_000
# Reports one stream's sync follows: the median of its last few, as mediasoup's capture
# estimates move by tens of ms from one report to the next (more on a loaded machine).
SYNC_WINDOW = 5
# A ts-offset change smaller than this is left out: each change marks a discontinuity (the
# audio mixer realigns).
SYNC_MIN_CHANGE_NS = 15_000_000
# The most a sender's streams are held after their capture (D below). More is not believed:
# a pipeline that read its first packets late (they waited in the socket while it started on
# a busy machine) stamps everything that much late, for good; this takes it back.
SYNC_MAX_DELAY_NS = 250_000_000
# A stream this much later than the others of its sender is not believed (clocks or
# estimates gone wrong): it is left as it is.
SYNC_MAX_SHIFT_NS = 3_000_000_000


class LipSync:
    """Keeps every input's jitterbuffer timestamps on its capture instants (see the top).

    Streams are grouped by sender (the CNAME of their reports: a client's audio and video
    share it). For each stream, transit = its jitterbuffer's timestamp for a report's RTP
    time minus that report's capture instant on this pipeline's clock (a median of its
    last reports). A group plays at capture + D: D the largest transit of its streams (the
    stream that comes latest after its capture keeps its own timing, the others wait for it),
    at most SYNC_MAX_DELAY_NS: ts-offset = D - transit + bias. So a sender's streams stay
    together, and no stream is held more than that after its capture (a late first packet,
    or an RTP clock that runs fast against this machine's, is taken back).
    """

    def __init__(self, pipeline: Gst.Pipeline) -> None:
        self.pipeline = pipeline
        self.lock = threading.Lock()
        # cname -> {"streams": {jitterbuffer: stream state}}
        self.groups = {}

    def watch(self, container: Gst.Bin) -> None:
        for element in container.children:
            if isinstance(element, Gst.Bin):
                self.watch(element)
                continue
            factory = element.get_factory()
            if factory is None or factory.get_name() != "rtpjitterbuffer":
                continue
            signal = GObject.signal_lookup("handle-sync", element)
            if GObject.signal_has_handler_pending(element, signal, 0, True):
                continue
            state = {"bias": element.get_property("ts-offset"), "transits": [], "note": None}
            element.connect("handle-sync", self.on_sync, state)

    def on_sync(self, jb: Gst.Element, s: Gst.Structure, state: dict) -> None:
        values = {}
        for key, getter in (
            ("base-rtptime", s.get_uint64),
            ("base-time", s.get_uint64),
            ("sr-ext-rtptime", s.get_uint64),
            ("sr-ntpnstime", s.get_uint64),
            ("clock-rate", s.get_uint),
        ):
            ok, value = getter(key)
            if not ok or value in (Gst.CLOCK_TIME_NONE, 0xFFFFFFFF):
                return  # not known yet, or a report the jitterbuffer found invalid
            values[key] = value
        if not values["clock-rate"] or values["sr-ext-rtptime"] < values["base-rtptime"]:
            return
        clock = self.pipeline.get_clock()
        if clock is None:
            return
        # The report's RTP time as the jitterbuffer stamps it (before its ts-offset) ...
        stamped = values["base-time"] + Gst.util_uint64_scale_int(
            values["sr-ext-rtptime"] - values["base-rtptime"], Gst.SECOND, values["clock-rate"]
        )
        # ... and its capture instant on this pipeline's running time (mediasoup's NTP clock
        # is this machine's wall clock).
        running = clock.get_time() - self.pipeline.get_base_time()
        ntp_now = GLib.get_real_time() * 1000 + NTP_UNIX_OFFSET_NS
        captured = values["sr-ntpnstime"] - (ntp_now - running)
        transits = state["transits"]
        transits.append(stamped - captured)
        del transits[:-SYNC_WINDOW]
        state["transit"] = sorted(transits)[len(transits) // 2]
        cname = s.get_string("cname") or jb.get_name()
        with self.lock:
            group = self.groups.setdefault(cname, {"streams": {}})
            group["streams"][jb] = state
            # Streams gone from the pipeline (a removed branch) leave the group.
            for other in [j for j in group["streams"] if not j.has_as_ancestor(self.pipeline)]:
                del group["streams"][other]
            latest = max(st["transit"] for st in group["streams"].values())
            delay = min(latest, SYNC_MAX_DELAY_NS)
            for member, st in group["streams"].items():
                self.apply(member, st, delay - st["transit"])

    @staticmethod
    def apply(jb: Gst.Element, state: dict, shift: int) -> None:
        name = jb.get_name()
        if shift > SYNC_MAX_SHIFT_NS:
            if state["note"] != "skipped":
                err(f"sync: {name}: {shift / 1e6:.0f} ms behind its sender's other streams; not synced")
                state["note"] = "skipped"
            return
        offset = state["bias"] + shift
        if abs(offset - jb.get_property("ts-offset")) < SYNC_MIN_CHANGE_NS:
            return
        err(
            f"sync: {name}: {state['transit'] / 1e6:.0f} ms from capture to its stamps; "
            f"ts-offset {offset / 1e6:.0f} ms"
        )
        state["note"] = "synced"
        jb.set_property("ts-offset", offset)


class Runner:
    def __init__(self, pipeline: Gst.Pipeline, loop: GLib.MainLoop) -> None:
        self.pipeline = pipeline
        self.loop = loop
        self.code = 0
        self.eos_sent = False
        self.buffer = b""
        self.sync = LipSync(pipeline)
        self.sync.watch(pipeline)

    # ---- the bus ----

    def on_message(self, _bus: Gst.Bus, message: Gst.Message) -> bool:
        t = message.type
        if t == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            path = message.src.get_path_string() if message.src else "?"
            err(f"ERROR: from element {path}: {error.message}")
            if debug:
                err(f"Additional debug info:\n{debug}")
            self.code = 1
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            warning, _debug = message.parse_warning()
            path = message.src.get_path_string() if message.src else "?"
            err(f"WARNING: from element {path}: {warning.message}")
        elif t == Gst.MessageType.EOS:
            out("Got EOS from element \"pipeline0\".")
            self.loop.quit()
        elif t == Gst.MessageType.ELEMENT:
            s = message.get_structure()
            # progressreport: the output's position, the supervisor's sign of life (printed
            # here when the element itself is silent, as gst-launch's line otherwise).
            src = message.src
            if (
                s is not None
                and s.get_name() == "progress"
                and src is not None
                and src.get_property("silent")
            ):
                ok, seconds = s.get_int64("current")
                if ok:
                    h, rest = divmod(int(seconds), 3600)
                    m, sec = divmod(rest, 60)
                    out(f"{src.get_name()} ({h:02d}:{m:02d}:{sec:02d}): {seconds} seconds")
        elif t == Gst.MessageType.LATENCY:
            # An input added live may need more latency than the pipeline had.
            self.pipeline.recalculate_latency()
        return True

    # ---- stopping ----

    def eos(self) -> bool:
        if not self.eos_sent:
            self.eos_sent = True
            err("EOS on shutdown enabled -- waiting for EOS after Error")
            self.pipeline.send_event(Gst.Event.new_eos())
            # An output that cannot finish (its RTMP server gone, a stalled branch) must not
            # keep an orphaned process alive: give up after a grace period.
            GLib.timeout_add_seconds(EOS_GRACE_S, self.give_up)
        return True

    def give_up(self) -> bool:
        err(f"EOS did not complete within {EOS_GRACE_S} s; exiting")
        os._exit(1)

    # ---- commands ----

    def on_stdin(self, fd: int, condition: GLib.IOCondition) -> bool:
        data = b""
        if condition & GLib.IOCondition.IN:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
        if not data:
            # The server is gone (or closed our input): finish the output as on SIGINT.
            self.eos()
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                self.command(line)
        return True

    def command(self, line: bytes) -> None:
        ident = None
        try:
            cmd = json.loads(line)
            ident = cmd.get("id")
            op = cmd.get("op")
            if op == "ping":
                pass
            elif op == "set":
                self.set(cmd["name"], cmd.get("props") or {}, cmd.get("pad") or {})
            elif op == "add":
                self.add(cmd["description"], cmd["mixer"], cmd.get("pad") or {})
            elif op == "remove":
                self.remove(cmd["name"])
            else:
                raise ValueError(f"unknown op {op!r}")
            out(json.dumps({"id": ident, "ok": True}))
        except Exception as error:  # noqa: BLE001 - every failure is answered, none ends the run
            out(json.dumps({"id": ident, "ok": False, "error": str(error)}))

    def element(self, name: str) -> Gst.Element:
        element = self.pipeline.get_by_name(name)
        if element is None:
            raise ValueError(f"no element {name}")
        return element

    @staticmethod
    def mixer_pad(element: Gst.Element) -> Gst.Pad:
        src = element.get_static_pad("src")
        peer = src.get_peer() if src else None
        # A branch added live is a bin: its last element feeds the bin's ghost pad.
        while peer is not None and isinstance(peer.get_parent(), Gst.GhostPad):
            peer = peer.get_parent().get_peer()
        if peer is None:
            raise ValueError(f"{element.get_name()} feeds no mixer pad")
        return peer

    @staticmethod
    def apply(target: Gst.Object, props: dict) -> None:
        for key, value in props.items():
            if target.find_property(key) is None:
                raise ValueError(f"{target.get_name()} has no property {key}")
            Gst.util_set_object_arg(target, key, str(value))

    def set(self, name: str, props: dict, pad: dict) -> None:
        element = self.element(name)
        target = self.mixer_pad(element) if pad else None
        if props:
            self.apply(element, props)
        if target is not None:
            self.apply(target, pad)

    def add(self, description: str, mixer_name: str, pad_props: dict) -> None:
        mixer = self.element(mixer_name)
        branch = Gst.parse_bin_from_description(description, True)
        sink = mixer.request_pad_simple("sink_%u")
        if sink is None:
            raise ValueError(f"{mixer_name} gave no sink pad")
        try:
            self.apply(sink, pad_props)
            self.pipeline.add(branch)
            if branch.get_static_pad("src").link(sink) != Gst.PadLinkReturn.OK:
                raise ValueError("the branch does not link to the mixer")
        except Exception:
            if branch.get_parent() is self.pipeline:
                self.pipeline.remove(branch)
            mixer.release_request_pad(sink)
            raise
        self.sync.watch(branch)
        branch.sync_state_with_parent()
        self.pipeline.recalculate_latency()

    def remove(self, name: str) -> None:
        last = self.element(name)
        sink = self.mixer_pad(last)
        mixer = sink.get_parent_element()
        # The branch: NAME and everything upstream of it. A branch added live is a bin of its
        # own; one from the launch line is loose elements in the pipeline.
        parent = last.get_parent()
        if parent is not self.pipeline:
            parent.set_state(Gst.State.NULL)
            self.pipeline.remove(parent)
        else:
            elements = []
            queue = [last]
            while queue:
                element = queue.pop()
                if element in elements:
                    continue
                elements.append(element)
                for pad in element.sinkpads:
                    peer = pad.get_peer()
                    if peer is not None:
                        queue.append(peer.get_parent_element())
            for element in elements:
                element.set_state(Gst.State.NULL)
            for element in elements:
                self.pipeline.remove(element)
        mixer.release_request_pad(sink)


def main(argv: list) -> int:
    args = [a for a in argv[1:] if a != "-e"]
    if not args:
        err(__doc__ or "")
        return 2
    Gst.init(None)
    try:
        pipeline = Gst.parse_launchv(args)
    except GLib.Error as error:
        err(f"ERROR: pipeline could not be constructed: {error.message}")
        return 1
    loop = GLib.MainLoop()
    runner = Runner(pipeline, loop)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", runner.on_message)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, runner.eos)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, runner.eos)
    GLib.unix_fd_add_full(
        GLib.PRIORITY_DEFAULT,
        0,
        GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
        runner.on_stdin,
    )
    # As gst-launch: PAUSED first (sockets bound, a live pipeline needs no preroll), then
    # PLAYING; the server resumes its RTP senders when it reads the PLAYING line.
    result = pipeline.set_state(Gst.State.PAUSED)
    if result == Gst.StateChangeReturn.ASYNC:
        result, _state, _pending = pipeline.get_state(10 * Gst.SECOND)
    if result != Gst.StateChangeReturn.FAILURE:
        out("Setting pipeline to PLAYING ...")
        result = pipeline.set_state(Gst.State.PLAYING)
    if result == Gst.StateChangeReturn.FAILURE:
        # The bus holds the element's error: report it before leaving.
        message = bus.pop_filtered(Gst.MessageType.ERROR)
        if message is not None:
            runner.on_message(bus, message)
        else:
            err("ERROR: from element /GstPipeline:pipeline0: the pipeline does not want to play")
        pipeline.set_state(Gst.State.NULL)
        return 1
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return runner.code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
