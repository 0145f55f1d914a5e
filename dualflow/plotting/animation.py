r"""Side-by-side animations of planar runs (e.g. the dual flow and GDA on the same game).

One panel per run, all with the same window, the data drawn faintly underneath. Frames are
taken at the saved times of the runs: the union of their finite saved times, thinned evenly to
at most `max_frames` (first and last kept), so a GIF stays small. Each panel draws its run's
save closest to the frame time and says which in its title; the figure title gives the frame
time (runs saved on different grids can show slightly different times).

Written as a GIF (matplotlib's `PillowWriter`) and, when ffmpeg is installed, as an MP4
(`FFMpegWriter`); without ffmpeg the MP4 is skipped and the returned `AnimationFiles` says so.
Each file is written atomically (`dualflow._atomic.atomic_path`): a writer that fails half-way
leaves no partial file behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._atomic import atomic_path
from ..analysis.fields import discriminator_field
from ..players.saved import planar_grid
from .fields import FIELD_LABEL, draw_field
from .particles import _runs, _window, nearest_saved_index

__all__ = ["AnimationFiles", "animate_runs", "frame_times"]

FIELD_SCALES = ("frame", "shared")
#: Font sizes of the frames (points): legible in a GIF watched at its size.
FONT = {"suptitle": 14, "title": 13, "label": 12, "small": 10}


@dataclasses.dataclass(frozen=True)
class AnimationFiles:
    """What `animate_runs` wrote.

    **Fields:** `gif` (path of the GIF), `mp4` (path of the MP4, or `None` when it was not
    written), `n_frames`, `frame_times` (`(n_frames,)` times shown), `notes` (one line per
    thing left out, e.g. the MP4 without ffmpeg).
    """

    gif: Path
    mp4: Path | None
    n_frames: int
    frame_times: np.ndarray
    notes: tuple[str, ...]


def frame_times(ts_list: Sequence, max_frames: int) -> np.ndarray:
    """The union of the finite saved times of several runs (equal up to 1e-9 relative counted
    once), thinned evenly to at most `max_frames` with the first and last kept."""
    if not (isinstance(max_frames, int) and max_frames >= 1):
        raise ValueError(f"`max_frames` must be a positive integer; received {max_frames!r}.")
    times = np.concatenate([np.asarray(ts, dtype=float).ravel() for ts in ts_list])
    times = np.sort(times[np.isfinite(times)])
    if times.size == 0:
        raise ValueError("the runs have no finite saved time to animate.")
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = np.diff(times) > 1e-9 * np.maximum(np.abs(times[1:]), 1.0)
    times = times[keep]
    if times.size > max_frames:
        times = times[np.unique(np.round(np.linspace(0, times.size - 1, max_frames)).astype(int))]
    return times


def animate_runs(
    solutions: Mapping[str, object] | Sequence[tuple[str, object]],
    data,
    path,
    *,
    fps: int = 8,
    max_frames: int = 40,
    field: Callable[[str, int], tuple[object, object]] | None = None,
    field_scale: str = "frame",
    window: tuple[tuple[float, float], tuple[float, float]] | None = None,
    panel_size: float = 4.4,
    dpi: int = 90,
    mp4: bool = True,
    grid: int = 60,
    arrows: int = 13,
) -> AnimationFiles:
    r"""Animate planar runs side by side and write a GIF (and an MP4 when ffmpeg exists).

    **Arguments:**

    - `solutions`: a mapping `label -> Solution` (or `(label, Solution)` pairs), one panel
      each; runs must be planar. Only `ts`, `points` and `masses` are read.
    - `data`: the target `Measure` (or `(M, 2)` array), drawn faintly in every panel.
    - `path`: where to write; a `.gif`/`.mp4` suffix is replaced, so `"out/runs"` gives
      `out/runs.gif` and `out/runs.mp4` (folders are created).
    - `fps`: frames per second; `max_frames`: most frames (see the module doc).
    - `field`: optional `field(label, index) -> (game, disc_state)`, the game and the
      discriminator's state of run `label` at its save `index`; the panels then show the
      discriminator heat map and the velocity arrows (`plot_field_panel`). The caller says how to
      get them: `solution.saved_discriminator(game, index)` for a run saved with
      `solve(..., field_grid=grid)` (draw with `window=grid.window`, `grid=grid.n` and `arrows`
      from `grid.arrow_counts()`), the state rebuilt from `discriminator_trace` (finite-rank and
      spectral critics), or `(game, None)` for `OptimalWitness`, whose witness follows from the
      particles.
    - `field_scale`: `"frame"` (colours show $f / \max|f|$ and arrows are rescaled at every
      frame, common to the panels; the figure title gives $\max|f|$ and the arrow key the
      speed) or `"shared"` (one scale for the whole animation: comparable across frames, but
      late frames fade when the field shrinks).
    - `window`: `((x_min, x_max), (y_min, y_max))`; default: a square around all the drawn
      particles and the data.
    - `panel_size`: panel edge in inches; `dpi`: resolution of the frames.
    - `mp4`: also write an MP4 when ffmpeg is available.
    - `grid`, `arrows`: heat-map resolution and arrows per axis when `field` is given.

    **Returns:** an `AnimationFiles` (paths written, frame count and times, notes).

    **Example:**

    ```python
    files = animate_runs({"dual flow": flow, "GDA": gda}, data, "out/ring8", fps=10)
    files.gif, files.mp4, files.notes   # mp4 None and a note when ffmpeg is missing
    ```
    """
    # Long on purpose: a figure layout, then the frame update and the writers, artist by artist.
    runs = _runs(solutions)
    if field_scale not in FIELD_SCALES:
        raise ValueError(f"`field_scale` must be one of {list(FIELD_SCALES)}; received {field_scale!r}.")
    if not (isinstance(fps, int) and fps >= 1):
        raise ValueError(f"`fps` must be a positive integer; received {fps!r}.")
    data_points = np.asarray(getattr(data, "points", data), dtype=float)
    if data_points.ndim != 2 or data_points.shape[1] != 2:
        raise ValueError(f"`data` must hold planar points of shape (M, 2); received shape {data_points.shape}.")
    path = Path(path)
    if path.suffix in (".gif", ".mp4"):
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)

    times = frame_times([sol.ts for _, sol in runs], max_frames)
    chosen = {label: [nearest_saved_index(sol.ts, t) for t in times] for label, sol in runs}
    points = {label: np.asarray(sol.points, dtype=float) for label, sol in runs}
    saved = {label: np.asarray(sol.ts, dtype=float) for label, sol in runs}
    if window is None:
        window = _window([points[label][chosen[label]] for label, _ in runs] + [data_points])
    xlim, ylim = window

    fig = Figure(
        figsize=(panel_size * len(runs) + (1.1 if field is not None else 0.2), panel_size + 0.9),
        layout="constrained",
        dpi=dpi,
    )
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(runs), sharex=True, sharey=True))
    fields = _field_frames(field, runs, chosen, xlim, ylim, grid, arrows, field_scale) if field is not None else None

    scatters, titles, field_artists = {}, {}, {}
    for i, (ax, (label, _sol)) in enumerate(zip(axes, runs)):
        first = chosen[label][0]
        if fields is not None:
            f, velocity = fields["values"][label][0]
            field_artists[label] = draw_field(
                ax,
                fields["xs"],
                fields["ys"],
                f,
                fields["axs"],
                fields["ays"],
                velocity,
                colorbar_label=fields["label"] if i == len(runs) - 1 else None,
                **fields["scales"][0],
            )
            field_artists[label].key.text.set_fontsize(FONT["small"])
        ax.scatter(data_points[:, 0], data_points[:, 1], s=8, c="0.5", alpha=0.35, linewidths=0, label="data", zorder=1)
        colour = "k" if fields is not None else f"C{i}"
        scatters[label] = ax.scatter(
            points[label][first, :, 0],
            points[label][first, :, 1],
            s=10,
            c=colour,
            edgecolors="w" if fields is not None else "k",
            linewidths=0.3,
            label="generator",
            zorder=4,
        )
        titles[label] = ax.set_title(_panel_title(label, saved[label][first]), fontsize=FONT["title"])
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$", fontsize=FONT["label"])
        ax.tick_params(labelsize=FONT["small"])
        if i == 0:
            ax.set_ylabel("$x_2$", fontsize=FONT["label"])
            ax.legend(loc="upper left", fontsize=FONT["small"], framealpha=0.85, markerscale=1.5)
    if fields is not None:
        colorbar = field_artists[runs[-1][0]].mesh.colorbar
        colorbar.ax.tick_params(labelsize=FONT["small"])
        colorbar.set_label(fields["label"], fontsize=FONT["label"])
    suptitle = fig.suptitle(_frame_title(times, fields, 0), fontsize=FONT["suptitle"])

    def update(frame):
        for label, _ in runs:
            index = chosen[label][frame]
            scatters[label].set_offsets(points[label][index])
            titles[label].set_text(_panel_title(label, saved[label][index]))
            if fields is not None:
                field_artists[label].update(*fields["values"][label][frame], **fields["scales"][frame])
        suptitle.set_text(_frame_title(times, fields, frame))
        return []

    # lay the figure out once, then keep it (from frame to frame only the titles' texts and the
    # key's label change; the colour bar is fixed): constrained layout at every frame would
    # cost most of the writing time and make the panels jitter
    fig.canvas.draw()
    fig.set_layout_engine("none")
    anim = animation.FuncAnimation(fig, update, frames=len(times), blit=False)
    gif = path.with_suffix(".gif")
    with atomic_path(gif, suffix=".tmp.gif") as tmp:  # the writers pick the format from the name
        anim.save(tmp, writer=animation.PillowWriter(fps=fps), dpi=dpi)
    notes, mp4_path = [], None
    if mp4:
        if animation.writers.is_available("ffmpeg"):
            mp4_path = path.with_suffix(".mp4")
            with atomic_path(mp4_path, suffix=".tmp.mp4") as tmp:
                anim.save(tmp, writer=animation.FFMpegWriter(fps=fps), dpi=dpi)
        else:
            notes.append("MP4 skipped: ffmpeg is not available to matplotlib (install ffmpeg to get one).")
    return AnimationFiles(gif=gif, mp4=mp4_path, n_frames=len(times), frame_times=times, notes=tuple(notes))


def _panel_title(label: str, t: float) -> str:
    return f"{label}\nsaved t = {t:.3g}"


def _frame_title(times, fields, frame: int) -> str:
    title = f"t = {times[frame]:.3g}"
    if fields is not None and fields["f_max"] is not None:
        title += f"    (colours: f / max|f|, max|f| = {fields['f_max'][frame]:.2g})"
    return title


def _field_frames(field, runs, chosen, xlim, ylim, grid, arrows, field_scale):
    """Heat-map values and arrows of every panel at every frame, and their common scales."""
    xs, ys, z = planar_grid(xlim, ylim, grid)
    axs, ays, za = planar_grid(xlim, ylim, arrows)
    values = {}
    for label, sol in runs:
        cache, frames = {}, []
        for index in chosen[label]:
            if index not in cache:
                game, state = field(label, index)
                f, _ = discriminator_field(game, state, sol.points[index], sol.masses, z)
                _, velocity = discriminator_field(game, state, sol.points[index], sol.masses, za)
                cache[index] = (f.reshape(grid, grid), velocity.reshape(arrows, arrows, 2))
            frames.append(cache[index])
        values[label] = frames
    frames = range(len(next(iter(values.values()))))
    if field_scale == "shared":
        shared = _scales([frame for run in values.values() for frame in run])
        return {
            "xs": xs,
            "ys": ys,
            "axs": axs,
            "ays": ays,
            "values": values,
            "scales": [shared for _ in frames],
            "f_max": None,
            "label": FIELD_LABEL,
        }
    # one scale per frame, common to the panels: f is divided by its largest value on the
    # panels of the frame, so the colour bar stays put and the title gives the factor
    scales = [_scales([run[frame] for run in values.values()]) for frame in frames]
    f_max = np.array([scale["vmax"] for scale in scales])
    normalized = {
        label: [(_divided(f, f_max[frame]), v) for frame, (f, v) in enumerate(run)] for label, run in values.items()
    }
    return {
        "xs": xs,
        "ys": ys,
        "axs": axs,
        "ays": ays,
        "values": normalized,
        "scales": [{"vmax": 1.0, "max_speed": scale["max_speed"]} for scale in scales],
        "f_max": f_max,
        "label": "$f(z)\\,/\\max|f|$ (per frame)",
    }


def _divided(f, f_max: float):
    """`f / f_max`; a field that vanishes on every panel of its frame (`f_max = 0`, e.g. the
    discriminator at the start of a run) is drawn as zeros, the neutral colour of the map
    (dividing would give 0/0 = nan, drawn blank)."""
    return f / f_max if f_max > 0 else np.zeros_like(f)


def _scales(fields) -> dict:
    vmax = max(float(np.nanmax(np.abs(f))) for f, _ in fields)
    max_speed = max(float(np.nanmax(np.hypot(v[..., 0], v[..., 1]))) for _, v in fields)
    return {"vmax": vmax, "max_speed": max_speed}
