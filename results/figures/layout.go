package figures

import (
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plot draws the panel's bands, then its lines over them. A log axis is
// drawn as log10 of the values on a linear axis with logTicks, leaving out
// values that are not positive: gonum's LogScale panics on them, and it
// reserves room for the axis label at the arithmetic middle of the range,
// which on a log axis squeezes the panel.
func (p *panel) plot() *plot.Plot {
	pl := newPlot(p.title, p.xLabel, p.yLabel)
	if p.logY {
		pl.Y.Tick.Marker = logTicks{}
	}
	if p.logX {
		pl.X.Tick.Marker = logTicks{}
	}
	ok := func(y float64) bool { return finite(y) && (!p.logY || y > 0) }
	tr := func(y float64) float64 {
		if p.logY {
			return math.Log10(y)
		}
		return y
	}
	for i := range p.series { // x on a log axis: log10 of the values, all positive (sensitivityFigure)
		if p.logX {
			s := &p.series[i]
			xs := make([]float64, len(s.x))
			for j, x := range s.x {
				xs[j] = math.Log10(x)
			}
			s.x = xs
		}
	}
	for _, s := range p.series {
		// A band is drawn as polygons over the runs of points where both of
		// its edges can be drawn.
		var run []int
		flush := func() {
			if len(run) >= 2 {
				ring := make(plotter.XYs, 0, 2*len(run))
				for _, i := range run {
					ring = append(ring, plotter.XY{X: s.x[i], Y: tr(s.lo[i])})
				}
				for _, i := range slices.Backward(run) {
					ring = append(ring, plotter.XY{X: s.x[i], Y: tr(s.hi[i])})
				}
				if poly, err := plotter.NewPolygon(ring); err == nil {
					poly.Color = bandColor(s.g.color)
					poly.LineStyle.Width = 0
					pl.Add(poly)
				}
			}
			run = run[:0]
		}
		for i := range s.x {
			if ok(s.lo[i]) && ok(s.hi[i]) {
				run = append(run, i)
			} else {
				flush()
			}
		}
		flush()
	}
	for _, s := range p.series {
		var xy plotter.XYs
		for i := range s.x {
			if ok(s.med[i]) {
				xy = append(xy, plotter.XY{X: s.x[i], Y: tr(s.med[i])})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.LineStyle = lineStyle(s.g.color, s.layer)
		pl.Add(l)
		if p.markers {
			if sc, err := plotter.NewScatter(xy); err == nil {
				sc.GlyphStyle = draw.GlyphStyle{Color: s.g.color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
				pl.Add(sc)
			}
		}
	}
	if p.logX && pl.X.Min == pl.X.Max { // one value: a decade around it
		pl.X.Min, pl.X.Max = pl.X.Min-0.5, pl.X.Max+0.5
	}
	if p.logY && pl.Y.Min == pl.Y.Max { // one value: give the log axis a decade around it
		pl.Y.Min, pl.Y.Max = pl.Y.Min-0.5, pl.Y.Max+0.5
	}
	return pl
}

func lineStyle(c color.Color, layer int32) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(lineWidth), Dashes: layerDash(layer)}
}

// legendEntry is one line of the legend.
type legendEntry struct {
	label string
	thumb plot.Thumbnailer
}

// legendOf lists the groups drawn in any panel, in their order, then the
// dash pattern of each layer when a panel has lines of layer 2 or more.
func legendOf(panels []*panel) []legendEntry {
	var out []legendEntry
	seen := map[*group]bool{}
	maxLayer := int32(0)
	var groups []*group
	for _, p := range panels {
		for _, s := range p.series {
			if !seen[s.g] {
				seen[s.g] = true
				groups = append(groups, s.g)
			}
			maxLayer = max(maxLayer, s.layer)
		}
	}
	slices.SortFunc(groups, func(a, b *group) int { return a.rank - b.rank })
	for _, g := range groups {
		out = append(out, legendEntry{g.label, lineThumb{line: lineStyle(g.color, 0), band: bandColor(g.color)}})
	}
	if maxLayer >= 2 {
		grey := color.NRGBA{0x44, 0x44, 0x44, 0xff}
		for l := int32(1); l <= maxLayer; l++ {
			out = append(out, legendEntry{"layer " + strconv.Itoa(int(l)), lineThumb{line: lineStyle(grey, l)}})
		}
	}
	return out
}

// Spacing of the layout, in points.
const (
	pad        = 8  // around the figure and between tiles
	legendGap  = 6  // between a legend thumbnail and its text
	thumbWidth = 22 // legend thumbnails
	titleGap   = 6  // below the figure's title
)

// placement is where a figure's parts go on a canvas.
type placement struct {
	title  draw.Canvas
	panels []draw.Canvas
	legend draw.Canvas
}

// layout puts the title at the top, the panels in one row (up to two
// panels) or two, aligned so that their axes line up (plot.Align), and the
// legend outside every panel: in the empty tiles of the last row, or in a
// column of its own on the right.
func (f *Figure) layout(c draw.Canvas) placement {
	var l placement
	c = draw.Crop(c, pad, -pad, pad, -pad)
	ts := textStyle(titleSize)
	th := ts.Rectangle(f.Title).Size().Y
	l.title = c
	l.title.Min.Y = c.Max.Y - th
	c.Max.Y -= th + titleGap

	n := len(f.plots)
	rows := 1
	if n > 2 {
		rows = 2
	}
	cols := (n + rows - 1) / rows
	if rows == 2 && cols*rows == n {
		cols++ // keep a tile for the legend
	}
	area := c
	if rows == 1 {
		w := legendWidth(f.legend, c.Max.Y-c.Min.Y)
		area.Max.X -= w + pad
		l.legend = c
		l.legend.Min.X = area.Max.X + pad
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for k := range cols {
			if i := r*cols + k; i < n {
				grid[r][k] = f.plots[i]
			}
		}
	}
	tiles := plot.Align(grid, draw.Tiles{Rows: rows, Cols: cols, PadX: pad * 2, PadY: pad * 2}, area)
	for i := range n {
		l.panels = append(l.panels, tiles[i/cols][i%cols])
	}
	if rows == 2 {
		first := tiles[rows-1][n-cols]
		last := tiles[rows-1][cols-1]
		l.legend = first
		l.legend.Max.X = last.Max.X
		l.legend.Min.X += pad * 2 // clear of the tick labels of the panel on its left
	}
	return l
}

// draw draws the whole figure on c.
func (f *Figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	l := f.layout(c)
	ts := textStyle(titleSize)
	ts.XAlign = draw.XLeft
	l.title.FillText(ts, vg.Point{X: l.title.Min.X, Y: l.title.Min.Y + ts.FontExtents().Descent}, f.Title)
	for i, p := range f.plots {
		p.Draw(l.panels[i])
	}
	drawLegend(l.legend, f.legend)
}

// legendRow is the height of a legend entry.
func legendRow() vg.Length { return textStyle(legendSize).FontExtents().Height * 1.5 }

// legendRows is how many entries fit in one column of a legend of height h.
func legendRows(h vg.Length) int { return max(1, int(math.Floor(float64(h/legendRow())))) }

// legendColumns splits entries into columns that fit height h.
func legendColumns(entries []legendEntry, h vg.Length) [][]legendEntry {
	per := legendRows(h)
	var cols [][]legendEntry
	for len(entries) > per {
		cols = append(cols, entries[:per])
		entries = entries[per:]
	}
	return append(cols, entries)
}

func columnWidth(col []legendEntry) vg.Length {
	ts := textStyle(legendSize)
	var w vg.Length
	for _, e := range col {
		w = max(w, ts.Width(e.label))
	}
	return thumbWidth + legendGap + w
}

// legendWidth is the width of the legend's columns at height h.
func legendWidth(entries []legendEntry, h vg.Length) vg.Length {
	var w vg.Length
	for i, col := range legendColumns(entries, h) {
		if i > 0 {
			w += pad * 2
		}
		w += columnWidth(col)
	}
	return w
}

// drawLegend draws entries in columns from the top left of c.
func drawLegend(c draw.Canvas, entries []legendEntry) {
	ts := textStyle(legendSize)
	ts.XAlign, ts.YAlign = draw.XLeft, draw.YCenter
	h := legendRow()
	x := c.Min.X
	for _, col := range legendColumns(entries, c.Max.Y-c.Min.Y) {
		y := c.Max.Y - h/2
		for _, e := range col {
			thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - h/2}, Max: vg.Point{X: x + thumbWidth, Y: y + h/2}}}
			e.thumb.Thumbnail(&thumb)
			c.FillText(ts, vg.Point{X: x + thumbWidth + legendGap, Y: y}, e.label)
			y -= h
		}
		x += columnWidth(col) + pad*2
	}
}
