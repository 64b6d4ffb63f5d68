"""Speaker-aware reframing end to end on constructed multi-seat videos (truth by construction).

Each scene puts talking heads from the shared media side by side on one canvas; during a
seat's turn it plays its own clip with its sound, otherwise it is frozen and silent (see
tests/speakers_media.py). Checked against that truth: face tracks (one per seat), the
diarization error rate, voice-to-face matching, and the planned camera (active speaker
in the crop, calm crop, no switch on an interjection), then a split and a fit render.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ai_video.analyze.diarize import VoiceEncoder, diarization_error_rate, diarize
from ai_video.analyze.face_tracks import FaceCollector, link_face_tracks
from ai_video.analyze.faces import YuFaceDetector
from ai_video.analyze.shots import track_breaks_s
from ai_video.analyze.speakers import SPEAKER_TURN_SCHEMA, speaker_turns
from ai_video.analyze.speech import speech_activity
from ai_video.analyze.visual import analyze_visuals
from ai_video.config import CaptionStyle, Settings
from ai_video.edit.layout import plan_layout
from ai_video.media.audio import decode_audio
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from ai_video.render.export import write_ass
from ai_video.render.render import render_clip
from ai_video.types import (
    AudioPlan,
    Box,
    CaptionTrack,
    ClipLayout,
    CropKeyframe,
    CropPath,
    EditPlan,
    EncoderProfile,
    LayoutSegment,
    OutputPreset,
    TimeSpan,
)
from tests.speakers_media import Scene, Seat, Turn, build_scene, two_seat_turns

OUTPUT = (1080, 1920)
GRACE_S = 0.5
OUT_FPS = 30


@dataclass(frozen=True)
class Analysed:
    """A scene with everything the speaker analysis found in it."""

    scene: Scene
    tracks: pl.DataFrame
    voice_turns: pl.DataFrame
    turns: pl.DataFrame
    detector: str
    shots: tuple[object, ...]


def analyse(scene: Scene, settings: Settings, encoder: VoiceEncoder) -> Analysed:
    """The library path the clip job will run: one decode, faces, tracks, voices, speakers."""
    info = probe(scene.path, settings.media)
    fps = analysis_fps(info, settings.analysis)
    detector = YuFaceDetector(settings.faces)
    collector = FaceCollector(detector, settings.speakers, fps)
    visual = analyze_visuals(
        stream_frames(info, settings.analysis, settings.media),
        settings.shots,
        settings.faces,
        detector,
        fps,
        collector=collector,
    )
    cuts = track_breaks_s(visual.shots)  # as the visuals stage does
    tracks = link_face_tracks(collector.detections(), settings.speakers, cuts)
    audio = decode_audio(info, settings.media)
    activity = speech_activity(audio, 16000, settings.speech)
    voices = diarize(audio, activity, encoder, settings.speakers)
    return Analysed(
        scene, tracks, voices, speaker_turns(voices, tracks), detector.name, visual.shots
    )


@pytest.fixture(scope="module")
def encoder() -> VoiceEncoder:
    return VoiceEncoder()


@pytest.fixture(scope="module")
def two_seats(
    media: Path, tmp_path_factory: pytest.TempPathFactory, settings: Settings, encoder: VoiceEncoder
) -> Iterator[Analysed]:
    talking = media / "talking"
    scene = build_scene(
        tmp_path_factory.mktemp("two") / "two_seats.mp4",
        [
            Seat(talking / "dfrf_cnn2_25fps.mp4", 64, 104, 512),
            Seat(talking / "sadtalker_WDA_KatieHill_000.mp4", 704, 104, 512),
        ],
        two_seat_turns(),
    )
    yield analyse(scene, settings, encoder)


@pytest.fixture(scope="module")
def three_seats(
    media: Path, tmp_path_factory: pytest.TempPathFactory, settings: Settings, encoder: VoiceEncoder
) -> Iterator[Analysed]:
    """Three faces of three sizes; turns A B C A B C (not used for tuning)."""
    talking = media / "talking"
    scene = build_scene(
        tmp_path_factory.mktemp("three") / "three_seats.mp4",
        [
            Seat(talking / "dfrf_cnn2_25fps.mp4", 20, 160, 440),
            Seat(talking / "sadtalker_WDA_KatieHill_000.mp4", 500, 220, 340),
            Seat(talking / "real3dportrait_May_5s.mp4", 900, 260, 260),
        ],
        [
            Turn(0, 0.0, 4.0, 40.0),
            Turn(1, 4.0, 7.6, 0.0),
            Turn(2, 7.6, 10.4, 0.0),
            Turn(0, 10.4, 14.0, 44.0),
            Turn(1, 14.0, 18.0, 3.8),
            Turn(2, 18.0, 20.0, 2.8),
        ],
    )
    yield analyse(scene, settings, encoder)


def seat_of_track(analysed: Analysed) -> dict[int, int]:
    """Each track's seat: the seat face box holding the track's median centre."""
    out = {}
    for (track_id,), rows in analysed.tracks.group_by(["track_id"]):
        cx = float(np.median((rows["x"] + rows["w"] / 2).to_numpy()))
        cy = float(np.median((rows["y"] + rows["h"] / 2).to_numpy()))
        for seat, box in enumerate(analysed.scene.face_boxes):
            if box.contains_point(cx, cy):
                out[int(track_id)] = seat
    return out


def expected_framing(scene: Scene, interjection_s: float) -> list[tuple[float, float, int]]:
    """Who should be framed when: turns, with interjections left to the speaker before."""
    out: list[tuple[float, float, int]] = []
    for turn in scene.turns:
        short = turn.end_s - turn.start_s < interjection_s
        if out and (short or out[-1][2] == turn.seat):
            out[-1] = (out[-1][0], turn.end_s, out[-1][2])
        else:
            out.append((turn.start_s, turn.end_s, turn.seat))
    return out


def in_crop_share(layout: ClipLayout, scene: Scene, interjection_s: float) -> float:
    """Share of output frames (after the grace at each change) showing the expected face."""
    crop = layout.single_crop()
    assert crop is not None
    expected = expected_framing(scene, interjection_s)
    hits = total = 0
    for frame in range(round(scene.duration_s * OUT_FPS)):
        t_s = frame / OUT_FPS
        start, _end, seat = next(e for e in expected if e[0] <= t_s < e[1])
        if start > 0 and t_s - start < GRACE_S:
            continue
        box: Box = scene.face_boxes[seat]
        k = crop.at(t_s)
        total += 1
        hits += k.x <= box.x and box.x + box.w <= k.x + k.w
    return hits / total


def centre_steps_px(layout: ClipLayout, duration_s: float) -> np.ndarray:
    """Per-output-frame crop-centre moves scaled to a 1080 px wide output (cuts excluded)."""
    crop = layout.single_crop()
    assert crop is not None
    centres = []
    for frame in range(round(duration_s * OUT_FPS)):
        k = crop.at(frame / OUT_FPS)
        centres.append((k.x + k.w / 2) * OUTPUT[0] / k.w)
    steps = np.abs(np.diff(np.asarray(centres)))
    return steps[steps < 0.25 * OUTPUT[0]]


@pytest.mark.media
@pytest.mark.slow
def test_two_seats_give_two_tracks_and_low_der(two_seats: Analysed) -> None:
    seats = seat_of_track(two_seats)
    print(f"tracks -> seats {seats}, detector {two_seats.detector}")
    assert sorted(seats.values()) == [0, 1]
    reference = [(t.start_s, t.end_s, t.seat) for t in two_seats.scene.turns]
    der = diarization_error_rate(reference, two_seats.voice_turns)
    print(f"two-voice DER {der:.3f}\n{two_seats.voice_turns}")
    assert der <= 0.15
    assert two_seats.detector.startswith("yuface-yunet@")


@pytest.mark.media
@pytest.mark.slow
def test_two_seats_voices_land_on_the_right_faces(two_seats: Analysed) -> None:
    seats = seat_of_track(two_seats)
    turns = two_seats.turns.filter(pl.col("end_s") - pl.col("start_s") >= 1.0)
    print(two_seats.turns)
    assert turns["face_track_id"].null_count() == 0
    for row in turns.iter_rows(named=True):
        middle = (row["start_s"] + row["end_s"]) / 2
        assert seats[row["face_track_id"]] == two_seats.scene.speaker_at(middle)
        assert row["confidence"] > 0.5


@pytest.mark.media
@pytest.mark.slow
def test_two_seat_camera_frames_the_speaker_calmly(two_seats: Analysed, settings: Settings) -> None:
    scene = two_seats.scene
    layout = plan_layout(
        TimeSpan(0.0, scene.duration_s),
        two_seats.turns,
        two_seats.tracks,
        [],
        scene.canvas,
        OUTPUT,
        settings.layout,
        settings.reframe,
    )
    share = in_crop_share(layout, scene, settings.layout.interjection_s)
    steps = centre_steps_px(layout, scene.duration_s)
    print(
        f"in-crop {share:.3f}, jitter mean {steps.mean():.3f} px/frame, p95 "
        f"{np.percentile(steps, 95):.2f}; segments {[s.as_dict() for s in layout.segments]}"
    )
    assert share >= 0.95
    assert steps.mean() < 1.0
    # the 0.7 s interjection at 13.5-14.2 s never moves the camera off seat A
    seats = seat_of_track(two_seats)
    for segment in layout.segments:
        if segment.span.overlaps(TimeSpan(13.5, 14.2)):
            assert seats[segment.track_ids[0]] == 0


@pytest.mark.media
@pytest.mark.slow
def test_three_seats_of_different_sizes(three_seats: Analysed, settings: Settings) -> None:
    seats = seat_of_track(three_seats)
    assert sorted(seats.values()) == [0, 1, 2]
    reference = [(t.start_s, t.end_s, t.seat) for t in three_seats.scene.turns]
    der = diarization_error_rate(reference, three_seats.voice_turns)
    scene = three_seats.scene
    layout = plan_layout(
        TimeSpan(0.0, scene.duration_s),
        three_seats.turns,
        three_seats.tracks,
        [],
        scene.canvas,
        OUTPUT,
        settings.layout,
        settings.reframe,
    )
    share = in_crop_share(layout, scene, settings.layout.interjection_s)
    print(f"three voices: DER {der:.3f}, in-crop {share:.3f}\n{three_seats.turns}")
    assert der <= 0.25
    assert share >= 0.95


def rgb_frames(path: Path, times_s: list[float], size: tuple[int, int]) -> list[np.ndarray]:
    """RGB frames of ``path`` at ``times_s``."""
    out = []
    for t_s in times_s:
        raw = run_ffmpeg(
            "ffmpeg",
            ["-v", "error", "-ss", f"{t_s:.3f}", "-i", str(path), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
            timeout_s=60,
        ).stdout  # fmt: skip
        out.append(np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3))
    return out


@pytest.mark.media
@pytest.mark.slow
def test_split_and_fit_render_in_one_process(
    two_seats: Analysed, settings: Settings, tmp_path: Path
) -> None:
    """speaker 0-2 s, split 2-4 s (both faces in their halves), fit 4-6 s, one ffmpeg."""
    scene = two_seats.scene
    span = TimeSpan(5.0, 11.0)
    quick = pl.DataFrame(
        {"start_s": [5.0, 7.0, 7.5, 8.0, 8.5, 9.0], "end_s": [7.0, 7.5, 8.0, 8.5, 9.0, 11.0],
         "voice_id": [1, 0, 1, 0, 1, 0], "face_track_id": [1, 0, 1, 0, 1, 0],
         "confidence": [1.0] * 6},
        schema=SPEAKER_TURN_SCHEMA,
    )  # fmt: skip
    auto = settings.layout.model_copy(update={"split_turn_s": 1.0, "min_segment_s": 1.0})
    layout = plan_layout(
        span, quick, two_seats.tracks, [], scene.canvas, (360, 640), auto, settings.reframe
    )
    assert [s.layout for s in layout.segments][:2] == ["speaker", "split"]
    fit = plan_layout(
        TimeSpan(0, 2),
        quick,
        two_seats.tracks.clear(),
        [],
        scene.canvas,
        (360, 640),
        auto,
        settings.reframe,
    ).segments[0]
    speaker_split = [s for s in layout.segments if s.span.end_s <= 4.0 + 1e-6]
    last = speaker_split[-1]
    segments = (
        *speaker_split[:-1],
        LayoutSegment(TimeSpan(last.span.start_s, 4.0), last.layout, last.crops, last.track_ids),
        LayoutSegment(TimeSpan(4.0, 6.0), "fit", fit.crops),
    )
    clip_layout = ClipLayout(segments, two_seats.detector)
    plan = EditPlan(
        source=scene.path,
        span=span,
        preset=OutputPreset("small", 360, 640, 25.0),
        crop=CropPath((CropKeyframe(0.0, 0, 0, 360, 640),)),
        captions=CaptionTrack((), "default"),
        audio=AudioPlan(-14.0, -1.5, 96, 48000),
        layout=clip_layout,
    )
    ass = write_ass(plan.captions, CaptionStyle(), (360, 640), tmp_path / "c.ass")
    encoder = EncoderProfile("libx264", ("-preset", "ultrafast", "-crf", "23"), reason="test")
    result = render_clip(plan, tmp_path / "out.mp4", ass, encoder, settings.render, settings.media)
    assert sum(arg == "-filter_complex" for arg in result.command) == 1
    info = probe(result.path, settings.media)
    assert info.duration_s == pytest.approx(6.0, abs=0.1)
    speaker, split, fitted = rgb_frames(result.path, [1.0, 3.0, 5.0], (360, 640))
    detector = YuFaceDetector(settings.faces)
    assert len(detector.detect(np.ascontiguousarray(speaker))) == 1
    top, bottom = split[:320], split[320:]
    assert len(detector.detect(np.ascontiguousarray(top))) >= 1
    assert len(detector.detect(np.ascontiguousarray(bottom))) >= 1
    # fit: the whole canvas in a middle band, the band above it blurred (little detail)
    band_h = round(360 * scene.canvas[1] / scene.canvas[0])
    middle = fitted[320 - band_h // 2 : 320 + band_h // 2].astype(float)
    above = fitted[: 320 - band_h // 2 - 4].astype(float)
    detail_mid = np.abs(np.diff(middle, axis=1)).mean()
    detail_above = np.abs(np.diff(above, axis=1)).mean()
    print(f"fit detail: middle {detail_mid:.2f}, blurred {detail_above:.2f}")
    assert detail_above < 0.5 * detail_mid


def tracks_of(path: Path, settings: Settings) -> tuple[pl.DataFrame, tuple[int, int]]:
    """Face tracks of a source (visual analysis only) and its display size."""
    info = probe(path, settings.media)
    assert info.video is not None
    fps = analysis_fps(info, settings.analysis)
    detector = YuFaceDetector(settings.faces)
    collector = FaceCollector(detector, settings.speakers, fps)
    analyze_visuals(
        stream_frames(info, settings.analysis, settings.media),
        settings.shots,
        settings.faces,
        detector,
        fps,
        collector=collector,
    )
    return link_face_tracks(collector.detections(), settings.speakers), info.video.display_size


@pytest.mark.media
def test_a_source_without_faces_is_shown_whole(media: Path, settings: Settings) -> None:
    tracks, size = tracks_of(media / "scenes" / "fades.mp4", settings)
    assert tracks.is_empty()
    layout = plan_layout(
        TimeSpan(1.0, 6.0),
        pl.DataFrame(schema=SPEAKER_TURN_SCHEMA),
        tracks,
        [],
        size,
        OUTPUT,
        settings.layout,
        settings.reframe,
    )
    assert [(s.layout, s.span) for s in layout.segments] == [("fit", TimeSpan(0.0, 5.0))]


@pytest.mark.media
def test_a_vertical_source_keeps_its_whole_frame_on_the_speaker(
    media: Path, settings: Settings
) -> None:
    tracks, size = tracks_of(media / "talking" / "latentsync_demo1_video.mp4", settings)
    assert size == (1080, 1920) and tracks["track_id"].n_unique() == 1
    layout = plan_layout(
        TimeSpan(0.0, 8.0),
        pl.DataFrame(schema=SPEAKER_TURN_SCHEMA),
        tracks,
        [],
        size,
        OUTPUT,
        settings.layout,
        settings.reframe,
    )
    crop = layout.single_crop()
    assert crop is not None
    assert [(k.x, k.y, k.w, k.h) for k in crop.keyframes] == [(0, 0, 1080, 1920)]
