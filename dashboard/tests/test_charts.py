"""Server-rendered SVG charts: geometry, gaps for unmeasured values, escaped text."""

from dashboard import charts


def test_a_sparkline_draws_measured_points_and_skips_gaps():
    svg = str(charts.sparkline([5.0, None, 7.5], label="Global"))
    assert svg.startswith('<svg class="spark"')
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == 2
    assert "lvl-good" in svg  # the last value's level colours the end dot


def test_a_sparkline_without_any_value_is_an_empty_line():
    svg = str(charts.sparkline([None, None]))
    assert "spark-empty" in svg and "polyline" not in svg


def test_the_radar_has_one_axis_per_domain_and_both_polygons():
    svg = str(charts.radar(["A", "B", "C", "D"], [8, 6, None, 4], [7, 7, 7, 7]))
    assert svg.count('class="radar-axis"') == 4
    assert svg.count('<polygon class="radar-current"') == 1
    assert svg.count('<polygon class="radar-previous"') == 1
    assert "n/m" in svg  # C is not measured


def test_chart_texts_are_escaped():
    hostile = '<script>alert("x")</script>'
    for svg in (
        charts.radar([hostile, "B", "C"], [1, 2, 3]),
        charts.line_chart([hostile], [(hostile, [5], "s-global")]),
        charts.sparkline([5], label=hostile),
    ):
        assert "<script>" not in str(svg)
        assert "&lt;script&gt;" in str(svg)


def test_no_inline_style_in_any_chart():
    svgs = [
        charts.radar(["A", "B", "C"], [1, 2, 3], [3, 2, 1]),
        charts.line_chart(["2026-01-01", "2026-02-01"], [("G", [4, 6], "s-global")]),
        charts.sparkline([1, 2, 3]),
    ]
    assert all("style=" not in str(svg) for svg in svgs)
