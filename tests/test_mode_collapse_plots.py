"""Field panels, animations and coverage figures: files written, labels and titles, the drawn
field against a NumPy evaluation of the optimal witness, GIF frame counts, MP4 skipped without
ffmpeg."""

import math
import warnings

import jax
import matplotlib.text
import numpy as np
import pytest
from content_checks import assert_figure
from matplotlib import animation, colormaps
from matplotlib.collections import PolyCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver
from PIL import Image
from scipy.spatial.distance import cdist

import dualflow as df
from dualflow.analysis import discriminator_field
from dualflow.measures import ring8_centres
from dualflow.metrics import metrics_over_time
from dualflow.plotting import (
    AnimationFiles,
    animate_runs,
    plot_coverage_curves,
    plot_coverage_heatmap,
    plot_field_panel,
    plot_final_state,
)
from dualflow.plotting.animation import frame_times
from dualflow.plotting.fields import FIELD_CMAP

STD = 0.02
KEY = jax.random.PRNGKey(0)
BANDWIDTH, REG = 0.5, 0.1


@pytest.fixture(scope="module")
def setup():
    key = jax.random.PRNGKey(0)
    data = df.ring8(key, 64)
    start = df.Measure(0.3 * jax.random.normal(jax.random.PRNGKey(1), (32, 2)))
    finite_rank = df.KernelGame(data, df.FiniteRank(df.RandomFourier(df.Gaussian(BANDWIDTH), 128, 2, key=key)), reg=REG)
    optimal = df.KernelGame(data, df.OptimalWitness(df.Gaussian(BANDWIDTH)), reg=REG)
    gda = df.solve(finite_rank, start, df.GDA(lr_g=0.05, lr_d=0.5), n_steps=200, save_every=20)  # t = 0, 1, ..., 10
    flow = df.solve(optimal, start, df.DualFlow(kappa=10.0), t1=10.0, n_saves=5)  # t = 0, 2.5, ..., 10
    return {"data": data, "finite_rank": finite_rank, "optimal": optimal, "gda": gda, "flow": flow}


def _optimal_witness_numpy(data, points, masses, z):
    """$f = (m_\\nu - m_\\mu)/\\lambda$ and its gradient for the Gaussian kernel, in NumPy."""
    centres = np.concatenate([np.asarray(data.points), points])
    coefs = np.concatenate([np.asarray(data.masses), -masses]) / REG
    gram = np.exp(-cdist(z, centres, "sqeuclidean") / (2 * BANDWIDTH**2))  # (n, M + N)
    f = gram @ coefs
    grad = np.einsum("nk,k,nkd->nd", gram, coefs, centres[None, :, :] - z[:, None, :]) / BANDWIDTH**2
    return f, grad


def _artist(ax, kind):
    found = [a for a in ax.get_children() if isinstance(a, kind)]
    assert len(found) == 1, f"expected one {kind.__name__}, found {len(found)}"
    return found[0]


# ------------------------------------------------------------------------- field panels


@pytest.mark.parametrize("velocity", ["mass_weighted", "wasserstein"])
def test_field_panel_draws_the_witness_and_the_game_velocity(setup, tmp_path, velocity):
    data = setup["data"]
    game = df.KernelGame(data, df.OptimalWitness(df.Gaussian(BANDWIDTH)), reg=REG, velocity=velocity)
    points = np.asarray(setup["flow"].points[2])
    masses = np.linspace(0.5, 1.5, points.shape[0]) / points.shape[0]  # not uniform: the mean weight is used
    window = ((-2.5, 2.5), (-2.5, 2.5))
    fig = Figure(figsize=(5, 4.5), layout="constrained")
    ax = plot_field_panel(fig, game, None, points, masses, grid=12, arrows=5, window=window, title="flow, t = 5")

    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$" and ax.get_title() == "flow, t = 5"
    assert ax.get_aspect() == 1.0 and ax.get_xlim() == (-2.5, 2.5)
    colorbar_axes = [a for a in fig.axes if a is not ax]
    assert len(colorbar_axes) == 1 and colorbar_axes[0].get_ylabel() == "discriminator $f(z)$"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", "generator"]

    gx, gy = np.meshgrid(np.linspace(-2.5, 2.5, 12), np.linspace(-2.5, 2.5, 12))
    f, _ = _optimal_witness_numpy(data, points, masses, np.stack([gx.ravel(), gy.ravel()], axis=1))
    mesh = _artist(ax, QuadMesh)
    np.testing.assert_allclose(np.asarray(mesh.get_array()).ravel(), f, rtol=1e-10, atol=1e-12)
    vmin, vmax = mesh.get_clim()
    assert vmin == -vmax == -np.max(np.abs(f))  # colours centred on f = 0

    ax_, ay_ = np.meshgrid(np.linspace(-2.5, 2.5, 5), np.linspace(-2.5, 2.5, 5))
    _, grad = _optimal_witness_numpy(data, points, masses, np.stack([ax_.ravel(), ay_.ravel()], axis=1))
    weight = masses.mean() if velocity == "mass_weighted" else 1.0  # kernel IPM: v = w grad f
    quiver = _artist(ax, Quiver)
    np.testing.assert_allclose(np.stack([quiver.U, quiver.V], axis=1), weight * grad, rtol=1e-10, atol=1e-14)
    # the field helper agrees with the game's own particle velocity at the particles (uniform masses)
    uniform = np.full(points.shape[0], 1.0 / points.shape[0])
    _, velocity_at_points = discriminator_field(game, None, points, uniform, points)
    own = game.generator_velocity(None, jax.numpy.asarray(points), jax.numpy.asarray(uniform))
    np.testing.assert_allclose(velocity_at_points, np.asarray(own), rtol=1e-10, atol=1e-14)

    path = tmp_path / f"field_{velocity}.png"
    fig.savefig(path, dpi=60)
    assert_figure(path)


def test_plot_final_state_of_a_solution(setup, tmp_path):
    fig = plot_final_state(setup["finite_rank"], setup["gda"], title="GDA, t = 10", grid=20, arrows=7)
    (ax, colorbar) = fig.axes
    assert ax.get_title() == "GDA, t = 10" and colorbar.get_ylabel() == "discriminator $f(z)$"
    scatter = [c for c in ax.collections if c.get_label() == "generator"][0]
    np.testing.assert_allclose(scatter.get_offsets(), np.asarray(setup["gda"].final_points))
    fig.savefig(tmp_path / "final.png", dpi=60)
    assert_figure(tmp_path / "final.png")


def test_field_panel_errors(setup):
    game = setup["optimal"]
    with pytest.raises(ValueError, match="`grid` must be an integer >= 2"):
        plot_field_panel(Figure(), game, None, np.zeros((3, 2)), grid=1)
    with pytest.raises(TypeError, match="`target` must be a matplotlib Axes or Figure"):
        plot_field_panel("axes", game, None, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"`points` must hold planar points of shape \(n, 2\)"):
        plot_field_panel(Figure(), game, None, np.zeros((3, 3)))


# ------------------------------------------------------------------------- animations


def test_animation_gif_frames_and_mp4_skipped_without_ffmpeg(setup, tmp_path, monkeypatch):
    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    runs = {"dual flow": setup["flow"], "GDA": setup["gda"]}
    # the union of the saved times: 0, 1, 2, 2.5, 3, ..., 7, 7.5, 8, 9, 10 (13 times)
    union = np.union1d(np.asarray(setup["flow"].ts), np.asarray(setup["gda"].ts))
    assert union.size == 13
    files = animate_runs(runs, setup["data"], tmp_path / "runs.gif", fps=4, max_frames=6, dpi=40)
    assert isinstance(files, AnimationFiles)
    assert files.gif == tmp_path / "runs.gif" and files.mp4 is None
    assert files.n_frames == 6 and files.frame_times[0] == 0.0 and files.frame_times[-1] == 10.0
    assert any("MP4 skipped" in note and "ffmpeg" in note for note in files.notes)
    assert not (tmp_path / "runs.mp4").exists()
    with Image.open(files.gif) as gif:
        assert gif.n_frames == 6
    assert files.gif.stat().st_size < 2_000_000
    everything = animate_runs(runs, setup["data"], tmp_path / "all", max_frames=40, dpi=30, mp4=False)
    assert everything.n_frames == 13 and everything.notes == ()
    np.testing.assert_allclose(everything.frame_times, union)
    with Image.open(everything.gif) as gif:
        assert gif.n_frames == 13


def test_animation_with_the_discriminator_field(setup, tmp_path):
    flow = setup["flow"]
    files = animate_runs(
        {"optimal witness": flow},
        setup["data"],
        tmp_path / "field",
        fps=2,
        max_frames=3,
        dpi=40,
        mp4=False,
        field=lambda label, index: (setup["optimal"], None),
        grid=10,
        arrows=4,
    )
    assert files.n_frames == 3
    with Image.open(files.gif) as gif:
        assert gif.n_frames == 3
    shared = animate_runs(
        {"optimal witness": flow},
        setup["data"],
        tmp_path / "shared",
        max_frames=2,
        dpi=30,
        mp4=False,
        field=lambda label, index: (setup["optimal"], None),
        field_scale="shared",
        grid=8,
        arrows=3,
    )
    with Image.open(shared.gif) as gif:
        assert gif.n_frames == 2


@pytest.fixture(scope="module")
def float32_run(setup):
    """A float32 GDA run of a finite-rank game (the precision of a float32 study), its game and
    the discriminator's state at each save (zero at the start: f = 0 everywhere)."""
    data = setup["data"]
    data32 = df.Measure(data.points.astype(jax.numpy.float32), data.masses.astype(jax.numpy.float32))
    game = df.KernelGame(data32, df.FiniteRank(df.RandomFourier(df.Gaussian(BANDWIDTH), 64, 2, key=KEY)), reg=REG)
    start = df.Measure((0.3 * jax.random.normal(jax.random.PRNGKey(1), (16, 2))).astype(jax.numpy.float32))
    sol = df.solve(game, start, df.GDA(lr_g=0.05, lr_d=0.5), n_steps=20, save_every=10)
    final = sol.final_discriminator
    states = [jax.tree_util.tree_map(jax.numpy.zeros_like, final), final, final]
    assert sol.points.dtype == jax.numpy.float32 and sol.ts.shape == (3,)
    return game, sol, states


def test_animation_of_a_vanishing_field_shows_the_neutral_colour(float32_run, tmp_path):
    """Frame 0 of a run whose discriminator starts at f = 0 (float32: 1e-300 is 0 there) is drawn
    in the neutral colour of the diverging map, without a 0/0 warning, not left blank."""
    game, sol, states = float32_run
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        files = animate_runs(
            {"GDA": sol},
            game.data,
            tmp_path / "zero",
            max_frames=3,
            mp4=False,
            field=lambda label, index: (game, states[index]),
            grid=12,
            arrows=4,
        )
    neutral = np.asarray(colormaps[FIELD_CMAP](0.5)[:3]) * 255
    with Image.open(files.gif) as gif:
        first = np.asarray(gif.convert("RGB"), dtype=float)
    share = np.mean(np.all(np.abs(first - neutral) <= 2, axis=-1))
    assert share > 0.3, f"only {share:.1%} of frame 0 in the neutral colour {neutral}"


def test_animation_frames_are_legible(setup, tmp_path, monkeypatch):
    """Two panels at the default size give a frame of at least 800 x 440 pixels, with titles of
    13 points and labels, ticks, legend and arrow key of at least 10."""
    made = []
    original = animation.FuncAnimation

    def recording(fig, *args, **kwargs):
        made.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(animation, "FuncAnimation", recording)
    files = animate_runs(
        {"dual flow": setup["flow"], "GDA": setup["gda"]},
        setup["data"],
        tmp_path / "big",
        max_frames=2,
        mp4=False,
        field=lambda label, index: (setup["optimal"], None),
        grid=10,
        arrows=4,
    )
    with Image.open(files.gif) as gif:
        assert gif.size[0] >= 800 and gif.size[1] >= 440, gif.size
    (fig,) = made
    assert fig.get_suptitle().startswith("t = 10")  # the last frame drawn
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]
    assert {t.get_text().split("\n")[0] for t in texts if t.get_fontsize() >= 13} >= {"dual flow", "GDA"}
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 10]
    assert not small, f"texts below 10 points: {small}"


def test_a_failed_animation_write_leaves_no_partial_file(setup, tmp_path, monkeypatch):
    """The GIF is written beside its name and moved into place: a writer that fails half-way
    leaves the previous animation as it was and nothing else in the folder."""
    runs = {"GDA": setup["gda"]}
    files = animate_runs(runs, setup["data"], tmp_path / "runs", max_frames=2, dpi=30, mp4=False)
    before = files.gif.read_bytes()

    def broken_finish(self):
        with open(self.outfile, "wb") as f:
            f.write(b"GIF89a half")
        raise OSError("disk full")

    monkeypatch.setattr(animation.PillowWriter, "finish", broken_finish)
    with pytest.raises(OSError, match="disk full"):
        animate_runs(runs, setup["data"], tmp_path / "runs", max_frames=3, dpi=30, mp4=False)
    assert files.gif.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.gif"]
    with pytest.raises(OSError, match="disk full"):
        animate_runs(runs, setup["data"], tmp_path / "other", max_frames=3, dpi=30, mp4=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.gif"]


@pytest.mark.skipif(not animation.writers.is_available("ffmpeg"), reason="ffmpeg is not installed")
def test_animation_mp4_with_ffmpeg(setup, tmp_path):
    files = animate_runs({"GDA": setup["gda"]}, setup["data"], tmp_path / "runs", max_frames=3, dpi=40)
    assert (
        files.mp4 == tmp_path / "runs.mp4" and files.mp4.read_bytes()[4:8] == b"ftyp" and files.notes == ()
    )  # an MP4 box


def test_frame_times_and_animation_errors(setup, tmp_path):
    np.testing.assert_allclose(
        frame_times([np.array([0.0, 0.1 + 0.2, np.inf]), np.array([0.3, 1.0])], 10), [0.0, 0.3, 1.0]
    )  # 0.1 + 0.2 and 0.3 are one time; inf is left out
    np.testing.assert_allclose(frame_times([np.arange(11.0)], 3), [0.0, 5.0, 10.0])
    with pytest.raises(ValueError, match="no finite saved time"):
        frame_times([np.array([np.inf])], 3)
    with pytest.raises(ValueError, match="`field_scale` must be one of"):
        animate_runs({"GDA": setup["gda"]}, setup["data"], tmp_path / "x", field_scale="global")
    with pytest.raises(ValueError, match=r"`data` must hold planar points"):
        animate_runs({"GDA": setup["gda"]}, np.zeros((3, 3)), tmp_path / "x")


# ------------------------------------------------------------------------- coverage figures


@pytest.fixture(scope="module")
def coverage_results(setup):
    centres, data = ring8_centres(2.0), setup["data"]
    gda = metrics_over_time(setup["gda"], data, centres, STD, every=2)
    flow = metrics_over_time(setup["flow"], data, centres, STD)
    # a second "seed": the same GDA run seen through slightly shifted particles
    ts, points, masses = setup["gda"].ts, np.asarray(setup["gda"].points) + 0.05, setup["gda"].masses
    shifted = metrics_over_time((ts, points, masses), data, centres, STD, every=2)
    return {"GDA": [gda, shifted], "dual flow": flow}


def test_coverage_curves_axes_labels_and_bands(coverage_results, tmp_path):
    fig = plot_coverage_curves(coverage_results, title="8-ring")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title() for ax in axes]
    assert titles == [
        "covered modes",
        "high-quality fraction",
        "KL(occupancy ‖ target mode weights)",
        "$W_2$ to the target (exact)",
        "Sinkhorn divergence $S_\\varepsilon$",
        "MMD to the target",
    ]
    assert all(ax.get_xlabel() == "t (generator time)" for ax in axes)
    by_title = dict(zip(titles, axes))
    assert [by_title[t].get_yscale() for t in titles] == ["linear"] * 3 + ["log"] * 3
    assert by_title["covered modes"].get_ylabel() == "modes with ≥ 5% of the mass"
    assert by_title["MMD to the target"].get_ylabel() == f"MMD (Gaussian, σ = {4 * math.sin(math.pi / 8):.3g})"
    assert "ε = 0.05" in by_title["Sinkhorn divergence $S_\\varepsilon$"].get_ylabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["GDA: mean ± std over 2 seeds", "dual flow"]
    # one band (the two GDA seeds) per axis, none for the single flow run
    assert all(sum(isinstance(c, PolyCollection) for c in ax.collections) == 1 for ax in axes)
    # the drawn GDA mean is the mean of the two seeds
    gda, shifted = coverage_results["GDA"]
    line = by_title["$W_2$ to the target (exact)"].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), (gda.w2 + shifted.w2) / 2)
    # reference lines: all 8 modes, log 8 for one mode
    covered = [t.get_text() for t in by_title["covered modes"].get_legend().get_texts()]
    assert covered == ["all 8 modes"]
    kl_line = by_title["KL(occupancy ‖ target mode weights)"].get_lines()[-1]
    np.testing.assert_allclose(kl_line.get_ydata(), math.log(8))
    fig.savefig(tmp_path / "coverage.png", dpi=60)
    assert_figure(tmp_path / "coverage.png")

    minmax = plot_coverage_curves(coverage_results, metrics=["w2_squared", "n_covered"], band="minmax")
    assert [t.get_text() for t in minmax.legends[0].get_texts()][0] == "GDA: mean, band min to max over 2 seeds"
    assert [ax.get_title() for ax in minmax.axes if ax.get_visible()] == [
        "$W_2^2$ to the target (exact)",
        "covered modes",
    ]
    band = [c for c in minmax.axes[0].collections if isinstance(c, PolyCollection)][0]
    top = band.get_paths()[0].vertices[:, 1].max()
    np.testing.assert_allclose(top, np.max([gda.w2_squared, shifted.w2_squared]))


def test_coverage_curves_from_json_dicts_and_errors(coverage_results):
    flow = coverage_results["dual flow"]
    fig = plot_coverage_curves({"dual flow": flow.to_dict()}, metrics=["high_quality_fraction"])
    assert fig.axes[0].get_ylabel() == "mass within 3 std of a centre"
    with pytest.raises(ValueError, match="`band` must be one of"):
        plot_coverage_curves({"flow": flow}, band="iqr")
    with pytest.raises(ValueError, match="`metrics` must name some of"):
        plot_coverage_curves({"flow": flow}, metrics=["fid"])
    with pytest.raises(ValueError, match="must share their saved times"):
        plot_coverage_curves({"mixed": [flow, coverage_results["GDA"][0]]})
    modes_only = metrics_over_time(
        (np.arange(2.0), np.zeros((2, 3, 2)), None),
        df.Measure(np.ones((4, 2))),
        ring8_centres(2.0),
        STD,
        which=("modes",),
    )
    with pytest.raises(ValueError, match="metric 'w2' is missing"):
        plot_coverage_curves({"flow": [flow, modes_only]}, metrics=["w2"])


def test_coverage_heatmap_cells_labels_and_nan(tmp_path):
    values = np.array([[8.0, 7.0, 3.0], [6.0, np.nan, 2.0]])
    fig = plot_coverage_heatmap(
        values,
        [0.2, 0.5, 1.0],
        [1, 10],
        "bandwidth σ",
        "κ = η_d / η_g",
        title="covered modes at t = 20",
        colorbar_label="covered modes (of 8)",
        fmt="{:.0f}",
    )
    ax, colorbar = fig.axes
    assert ax.get_xlabel() == "bandwidth σ" and ax.get_ylabel() == "κ = η_d / η_g"
    assert ax.get_title() == "covered modes at t = 20" and colorbar.get_ylabel() == "covered modes (of 8)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.2", "0.5", "1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "10"]
    cells = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts}
    assert cells == {(0, 0): "8", (1, 0): "7", (2, 0): "3", (0, 1): "6", (1, 1): "n/a", (2, 1): "2"}
    fig.savefig(tmp_path / "heatmap.png", dpi=60)
    assert_figure(tmp_path / "heatmap.png")
    with pytest.raises(ValueError, match=r"`values` must have shape \(len\(y_values\), len\(x_values\)\) = \(3, 3\)"):
        plot_coverage_heatmap(values, [0.2, 0.5, 1.0], [1, 10, 100], "x", "y")


# ------------------------------------------------------------------------- study figures


def _inside(fig, artist) -> bool:
    """`artist`, as drawn, lies within the figure's width (a centred text wider than the figure is cut)."""
    fig.canvas.draw()
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return box.x0 >= 0 and box.x1 <= fig.bbox.width


def test_study_figures_keep_their_titles_and_legends_inside():
    """One setting, five seeds: the legend (run labels, the seed count said once in its title)
    and a long title fit in `coverage_over_time.png`; a one-column table keeps its title whole."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from dualflow.plotting.study import plot_setting_curves, plot_summary_tables

    ts = np.linspace(0.0, 20.0, 41)
    values = np.random.default_rng(0).integers(0, 9, (5, 41)).astype(float)
    title = "ring8_kappa (quick)\nring8, N = 512, exact Gaussian kernel (spectral, tol 1e-10), σ = 0.4, kernel_ipm"
    for settings in (["κ = 0.1"], ["κ = 0.1", "κ = ∞"]):
        curves = {s: {"dual flow": (ts, values), "GDA": (ts, values[::-1])} for s in settings}
        fig = plot_setting_curves(
            curves, ylabel="covered modes", reference=8, reference_label="all 8 modes", title=title
        )
        FigureCanvasAgg(fig)
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == ["dual flow", "GDA", "all 8 modes"]
        assert legend.get_title().get_text() == "mean over 5 seeds, band min to max"
        assert _inside(fig, legend) and _inside(fig, fig._suptitle)
    table = {key: np.full((3, 1), 5.0) for key in ("mean", "std", "min", "max")}
    fig = plot_summary_tables(
        {"": table},
        ["dual flow"],
        [0.1, 1, 10],
        "dynamics",
        "κ",
        colorbar_label="mean covered modes (of 8)",
        title=f"{title}\nfinal covered modes (of 8) at t = 100:\nmean ± std [min, max] over 5 seeds",
    )
    FigureCanvasAgg(fig)
    assert _inside(fig, fig._suptitle)
