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
`audiotestsrc` named `beep` sounds, both for FLASH_S from each whole second of their
(shared) timestamps and black/silent otherwise, so flashes and beeps coincide at the source.
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
    """Flashes on `flash`, beeps on `beep`: the same stream times, by control sources."""
    gi.require_version("GstController", "1.0")
    from gi.repository import GstController  # noqa: PLC0415

    for name, prop, on in (("flash", "foreground-color", 1.0), ("beep", "volume", 0.8)):
        element = pipeline.get_by_name(name)
        if element is None:
            continue
        source = GstController.InterpolationControlSource()
        source.set_property("mode", GstController.InterpolationMode.NONE)
        source.set(0, 0.0)
        for second in range(1, 3600):
            source.set(second * Gst.SECOND, on)
            source.set(second * Gst.SECOND + int(FLASH_S * Gst.SECOND), 0.0)
        element.add_control_binding(GstController.DirectControlBinding.new(element, prop, source))


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
