#!/usr/bin/env python3
"""
A WHIP client (RFC 9725) on GStreamer's webrtcbin, for the e2e tests: what Debian 12's
simple-whip-client does, which cannot run there (it links libsoup 2.4 while Debian 12's
libnice, which webrtcbin loads, links libsoup 3 through gupnp-igd; libsoup aborts a process
that has both: "libsoup2 symbols detected. Using libsoup2 and libsoup3 in the same process is
not supported").

  gst-whip-client.py URL TOKEN [VIDEO_PIPELINE AUDIO_PIPELINE]

Publishes test video and audio (or the given source pipelines, ending in RTP caps), POSTs the
offer with all candidates (no trickle), applies the answer, prints "WHIP 201 <Location>"
and, on SIGINT/SIGTERM, DELETEs the session and exits 0. HTTP calls time out after 10 s.

A/V sync source: a `videotestsrc pattern=solid-color` named `flash` turns white and an
`audiotestsrc` named `beep` sounds, both for FLASH_S from the first video frame at or after
each whole second of their (shared) timestamps, black/silent otherwise, so flashes and beeps
start at the same timestamp at the source (within the audio buffer's length).
"""
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VIDEO = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! "
    "videoconvert ! queue ! vp8enc deadline=1 target-bitrate=500000 keyframe-max-dist=30 ! "
    "rtpvp8pay pt=96 ! application/x-rtp,media=video,encoding-name=VP8,payload=96"
)
AUDIO = (
    "audiotestsrc is-live=true wave=sine volume=0.3 ! audioconvert ! audioresample ! queue ! "
    "opusenc ! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111"
)
HTTP_TIMEOUT_S = 10
FLASH_S = 0.1


def add_flash_beep(pipeline: Gst.Pipeline) -> None:
    """Flashes on `flash`, beeps on `beep`, starting at the same timestamps (PTS).

    GStreamer 1.22's live test sources stamp buffers with the pipeline's running time (their
    first buffer: whenever they started, e.g. 0.004 s for the audio, 0.072 s for the video),
    but look their controlled properties up by their own count of output time, which starts
    at 0 with their first buffer. Control points at whole seconds would therefore put the
    flash and the beep apart by the two sources' start difference plus up to a video frame
    (67 ms at 15 fps): the first sync test runs measured that, not the mix. So the times are
    set once both first buffers are seen: at each whole second of PTS, the first video frame
    at or after it flashes, and the beep starts at that frame's PTS, to within half an audio
    buffer (samplesperbuffer=240: ±2.5 ms at 48 kHz).
    """
    import threading  # noqa: PLC0415

    gi.require_version("GstController", "1.0")
    from gi.repository import GstController  # noqa: PLC0415

    flash, beep = pipeline.get_by_name("flash"), pipeline.get_by_name("beep")
    if flash is None or beep is None:
        return
    controls = {}
    for element, prop in ((flash, "foreground-color"), (beep, "volume")):
        source = GstController.InterpolationControlSource()
        source.set_property("mode", GstController.InterpolationMode.NONE)
        source.set(0, 0.0)
        element.add_control_binding(GstController.DirectControlBinding.new(element, prop, source))
        controls[element.get_name()] = source
    first = {}
    lock = threading.Lock()

    def schedule() -> None:
        (v0, fps_n, fps_d), (a0, rate) = first["flash"], first["beep"]
        half_buffer = beep.get_property("samplesperbuffer") * Gst.SECOND // rate // 2
        for second in range(1, 3600):
            # The first frame at or after this second, by its count n (the source's own time).
            n = -(-(second * Gst.SECOND - v0) * fps_n // (Gst.SECOND * fps_d))
            frame_t = Gst.util_uint64_scale(n, Gst.SECOND * fps_d, fps_n)
            for name, at, on in (
                ("flash", frame_t - Gst.USECOND, 1.0),
                ("beep", max(0, v0 + frame_t - a0 - half_buffer), 0.8),
            ):
                controls[name].set(at, on)
                controls[name].set(at + int(FLASH_S * Gst.SECOND), 0.0)
        print(
            f"flash/beep: video from {v0 / Gst.SECOND:.3f} s, audio from {a0 / Gst.SECOND:.3f} s",
            flush=True,
        )

    def first_buffer(pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        buffer = info.get_buffer()
        caps = pad.get_current_caps()
        if buffer is None or buffer.pts == Gst.CLOCK_TIME_NONE or caps is None:
            return Gst.PadProbeReturn.OK
        structure = caps.get_structure(0)
        with lock:
            if pad.get_parent_element() is flash:
                _ok, fps_n, fps_d = structure.get_fraction("framerate")
                first["flash"] = (buffer.pts, fps_n, fps_d)
            else:
                first["beep"] = (buffer.pts, structure.get_int("rate")[1])
            if len(first) == 2:
                schedule()
        return Gst.PadProbeReturn.REMOVE

    for element in (flash, beep):
        element.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, first_buffer)


def main() -> int:
    if len(sys.argv) not in (3, 5):
        print(__doc__, file=sys.stderr)
        return 2
    url, token = sys.argv[1], sys.argv[2]
    host = urllib.parse.urlsplit(url).hostname or ""
    local_addresses = [host] if host.startswith("127.") else []
    video, audio = (sys.argv[3], sys.argv[4]) if len(sys.argv) == 5 else (VIDEO, AUDIO)
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"webrtcbin name=webrtc bundle-policy=max-bundle {video} ! webrtc. {audio} ! webrtc."
    )
    add_flash_beep(pipeline)
    webrtc = pipeline.get_by_name("webrtc")
    loop = GLib.MainLoop()
    state = {"location": None, "offer": None, "failed": False}

    def fail(message: str) -> None:
        print(f"WHIP error: {message}", file=sys.stderr, flush=True)
        state["failed"] = True
        loop.quit()

    def post_offer() -> None:
        sdp = webrtc.get_property("local-description").sdp.as_text()
        print(f"WHIP offer:\n{sdp}", flush=True)
        request = urllib.request.Request(
            url,
            data=sdp.encode(),
            method="POST",
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                answer_text = response.read().decode()
                location = response.headers.get("Location")
                status = response.status
        except urllib.error.HTTPError as error:
            fail(f"POST {error.code}: {error.read().decode()[:500]}")
            return
        except OSError as error:
            fail(f"POST failed: {error}")
            return
        if status != 201 or not location:
            fail(f"POST answered {status} without a Location")
            return
        state["location"] = urllib.parse.urljoin(url, location)
        _, sdp_message = GstSdp.SDPMessage.new_from_text(answer_text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp_message)
        webrtc.emit("set-remote-description", answer, Gst.Promise.new())
        print(f"WHIP 201 {state['location']}", flush=True)

    def on_gathering(element, _spec) -> None:
        done = element.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
        if done and state["offer"] is not None and state["location"] is None:
            GLib.idle_add(lambda: post_offer() and False)

    def on_offer(promise: Gst.Promise) -> None:
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        state["offer"] = offer
        webrtc.emit("set-local-description", offer, Gst.Promise.new())
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(lambda: post_offer() and False)

    def on_negotiation_needed(element) -> None:
        element.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer))

    def stop(*_args) -> bool:
        location = state["location"]
        if location:
            request = urllib.request.Request(
                location, method="DELETE", headers={"Authorization": f"Bearer {token}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                    print(f"WHIP DELETE {response.status}", flush=True)
            except (urllib.error.HTTPError, OSError) as error:
                print(f"WHIP DELETE failed: {error}", file=sys.stderr, flush=True)
        loop.quit()
        return False

    webrtc.connect("on-negotiation-needed", on_negotiation_needed)
    webrtc.connect("notify::ice-gathering-state", on_gathering)
    # Send only: the server has nothing to send back on these sections.
    pipeline.set_state(Gst.State.READY)
    for index in range(2):
        transceiver = webrtc.emit("get-transceiver", index)
        if transceiver is not None:
            transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect(
        "message::error",
        lambda _bus, message: fail(f"pipeline error: {message.parse_error()[0].message}"),
    )
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return 1 if state["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
