"""Numba loops that turn a jittery, gappy face-centre series into a calm camera path.

Each public function takes and returns float64 arrays; NaN marks "no value". The compiled
loops are cached on disk by numba, so only the first run on a machine pays for compiling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ai_video.types import FloatArray


def _fill_gaps(values: FloatArray) -> FloatArray:
    out = values.copy()
    n = len(out)
    last = -1
    for i in range(n):
        if np.isnan(out[i]):
            continue
        if last == -1:
            for j in range(i):
                out[j] = out[i]
        elif i - last > 1:
            step = (out[i] - out[last]) / (i - last)
            for j in range(last + 1, i):
                out[j] = out[last] + step * (j - last)
        last = i
    if last != -1:
        for j in range(last + 1, n):
            out[j] = out[last]
    return out


def _centered_moving_average(values: FloatArray, radius: int) -> FloatArray:
    n = len(values)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        total = 0.0
        count = 0
        for j in range(max(0, i - radius), min(n, i + radius + 1)):
            if not np.isnan(values[j]):
                total += values[j]
                count += 1
        out[i] = total / count if count > 0 else np.nan
    return out


def _drag(anchor: float, value: float, dead_zone: float) -> float:
    """The camera anchor after seeing ``value``: the first value itself, then dragged along
    only when the value leaves ±``dead_zone`` around it; a NaN value holds it."""
    if np.isnan(value):
        return anchor
    if np.isnan(anchor):
        return value
    if value - anchor > dead_zone:
        return value - dead_zone
    if anchor - value > dead_zone:
        return value + dead_zone
    return anchor


_drag_jit = njit(cache=True, nogil=True)(_drag)


def _dead_zone_follow(target: FloatArray, dead_zone: float, alpha: float) -> FloatArray:
    n = len(target)
    out = np.empty(n, dtype=np.float64)
    anchor = np.nan
    position = np.nan
    for i in range(n):
        anchor = _drag_jit(anchor, target[i], dead_zone)
        if np.isnan(position):
            position = anchor
        if not np.isnan(anchor):
            position += alpha * (anchor - position)
        out[i] = position
    return out


_fill_gaps_jit = njit(cache=True, nogil=True)(_fill_gaps)
_centered_moving_average_jit = njit(cache=True, nogil=True)(_centered_moving_average)
_dead_zone_follow_jit = njit(cache=True, nogil=True)(_dead_zone_follow)


def fill_gaps(values: FloatArray) -> FloatArray:
    """NaN runs filled: interior gaps linearly interpolated, leading/trailing ones held."""
    out: FloatArray = _fill_gaps_jit(np.ascontiguousarray(values, dtype=np.float64))
    return out


def centered_moving_average(values: FloatArray, radius: int) -> FloatArray:
    """Mean over ``[i - radius, i + radius]`` ignoring NaN (NaN where the window has none)."""
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    out: FloatArray = _centered_moving_average_jit(
        np.ascontiguousarray(values, dtype=np.float64), int(radius)
    )
    return out


def dead_zone_follow(target: FloatArray, dead_zone: float, alpha: float) -> FloatArray:
    """Camera path: an anchor that moves only when ``target`` leaves ±``dead_zone``, eased.

    The anchor is dragged along when the target moves more than ``dead_zone`` from it (so
    jitter inside the zone never moves the camera), and the output approaches the anchor
    by the fraction ``alpha`` (0..1] per step: an exponential smoothing of the anchor. The
    path starts exactly on the first known target value; NaN targets hold the anchor.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if dead_zone < 0.0:
        raise ValueError(f"dead_zone must be >= 0, got {dead_zone}")
    out: FloatArray = _dead_zone_follow_jit(
        np.ascontiguousarray(target, dtype=np.float64), float(dead_zone), float(alpha)
    )
    return out


def _bounded_follow(
    target: FloatArray, dead_zone: float, max_step: float, max_accel: float
) -> FloatArray:
    n = len(target)
    out = np.empty(n, dtype=np.float64)
    anchor = np.nan
    position = np.nan
    velocity = 0.0
    for i in range(n):
        anchor = _drag_jit(anchor, target[i], dead_zone)
        if np.isnan(position):
            position = anchor
        if not np.isnan(anchor):
            gap = anchor - position
            # fastest speed that can still stop at the anchor with max_accel braking
            # (discrete: v + (v - a) + (v - 2a) + ... <= gap)
            stop_speed = 0.5 * (
                -max_accel + np.sqrt(max_accel * max_accel + 8.0 * max_accel * abs(gap))
            )
            wanted = min(max_step, stop_speed, abs(gap))
            wanted = wanted if gap >= 0 else -wanted
            change = wanted - velocity
            if change > max_accel:
                change = max_accel
            elif change < -max_accel:
                change = -max_accel
            velocity += change
            position += velocity
        out[i] = position
    return out


_bounded_follow_jit = njit(cache=True, nogil=True)(_bounded_follow)


def bounded_follow(
    target: FloatArray, dead_zone: float, max_step: float, max_accel: float
) -> FloatArray:
    """Camera path that moves only when ``target`` leaves ±``dead_zone`` of an anchor, with
    speed at most ``max_step`` and speed changes at most ``max_accel`` per sample.

    Like :func:`dead_zone_follow`, but the pan is physically plausible: it accelerates,
    cruises and brakes to stop on the anchor (no overshoot beyond one step's braking), so
    it never oscillates. NaN targets hold the anchor; the path starts on the first target.
    """
    if dead_zone < 0.0 or max_step <= 0.0 or max_accel <= 0.0:
        raise ValueError(
            f"need dead_zone >= 0 and positive limits, got {dead_zone}, {max_step}, {max_accel}"
        )
    out: FloatArray = _bounded_follow_jit(
        np.ascontiguousarray(target, dtype=np.float64),
        float(dead_zone),
        float(max_step),
        float(max_accel),
    )
    return out
