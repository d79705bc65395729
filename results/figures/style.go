package figures

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"dinv/models"
)

// ModelTypes are the learning rules in the order figures list them: the
// rules of package models, in the paper's order.
var ModelTypes = ruleNames(func(models.RuleInfo) bool { return true })

// typeColors gives each learning rule one hue in every figure, its colour
// in package models' table of rules.
var typeColors = func() map[string]color.NRGBA {
	m := map[string]color.NRGBA{}
	for _, k := range models.Kinds() {
		m[k.String()] = k.Info().Color
	}
	return m
}()

// ruleNames lists the names of the rules that keep accepts, in the paper's
// order.
func ruleNames(keep func(models.RuleInfo) bool) []string {
	var names []string
	for _, k := range models.Kinds() {
		if keep(k.Info()) {
			names = append(names, k.String())
		}
	}
	return names
}

// otherColor is the hue of a rule the table above does not know.
var otherColor = color.NRGBA{0x7f, 0x7f, 0x7f, 0xff}

// TypeColor returns the colour of a learning rule's lines.
func TypeColor(modelType string) color.NRGBA {
	if c, ok := typeColors[modelType]; ok {
		return c
	}
	return otherColor
}

// typeRank orders model types as ModelTypes does, unknown ones last.
func typeRank(t string) int {
	for i, m := range ModelTypes {
		if m == t {
			return i
		}
	}
	return len(ModelTypes)
}

// shade darkens (t < 0) or lightens (t > 0) c by mixing it with black or
// white: how several models of one rule share its hue.
func shade(c color.NRGBA, t float64) color.NRGBA {
	mix := func(v uint8, to float64, f float64) uint8 {
		return uint8(math.Round(float64(v)*(1-f) + to*f))
	}
	switch {
	case t < 0:
		return color.NRGBA{mix(c.R, 0, -t), mix(c.G, 0, -t), mix(c.B, 0, -t), c.A}
	case t > 0:
		return color.NRGBA{mix(c.R, 255, t), mix(c.G, 255, t), mix(c.B, 255, t), c.A}
	}
	return c
}

// variantShades are the shades of the models of one rule, in order: the
// first has the rule's own colour, so that BP or DI-1 look the same in every
// figure, and the next alternate darker and lighter.
var variantShades = []float64{0, -0.4, 0.4, -0.6, 0.6, -0.2, 0.2}

func variantShade(i int) float64 { return variantShades[i%len(variantShades)] }

// sequential returns the i-th of n colours of viridis (without its pale
// yellow end), for lines that are not models: values of eta, leak, seeds.
func sequential(i, n int) color.NRGBA {
	stops := []color.NRGBA{
		{0x44, 0x01, 0x54, 0xff}, {0x3b, 0x52, 0x8b, 0xff}, {0x21, 0x91, 0x8c, 0xff},
		{0x5e, 0xc9, 0x62, 0xff},
	}
	t := 0.0
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	x := t * float64(len(stops)-1)
	k := min(int(x), len(stops)-2)
	f := x - float64(k)
	a, b := stops[k], stops[k+1]
	lerp := func(u, v uint8) uint8 { return uint8(math.Round(float64(u)*(1-f) + float64(v)*f)) }
	return color.NRGBA{lerp(a.R, b.R), lerp(a.G, b.G), lerp(a.B, b.B), 0xff}
}

// bandColor is the fill of the spread around a line: its colour, mostly
// transparent, so that overlapping bands stay readable.
func bandColor(c color.NRGBA) color.NRGBA {
	c.A = 0x38
	return c
}

// layerDash is the dash pattern of a layer's lines: layer 1 (and metrics of
// no layer) solid, layer 2 dashed, layer 3 dotted.
func layerDash(layer int32) []vg.Length {
	switch {
	case layer <= 1:
		return nil
	case layer == 2:
		return []vg.Length{vg.Points(5), vg.Points(2.5)}
	case layer == 3:
		return []vg.Length{vg.Points(1.2), vg.Points(2)}
	}
	return []vg.Length{vg.Points(5), vg.Points(2), vg.Points(1.2), vg.Points(2)}
}

// Type sizes, in points, for figures printed at about their size.
const (
	titleSize  = 10
	labelSize  = 9
	tickSize   = 8
	legendSize = 8.5
	lineWidth  = 1.2
)

var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sansFont, size), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot with the figures' fonts and sizes.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, titleSize)
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, labelSize)
		a.Tick.Label.Font = font.From(sansFont, tickSize)
		a.Tick.Length = vg.Points(4)
		a.Padding = vg.Points(3)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Tick.Marker = niceTicks{count: true}
	p.Y.Tick.Marker = niceTicks{}
	return p
}

// niceTicks marks a linear axis at about five round values (1, 2, 2.5 or 5
// times a power of ten) with a minor tick between each two; count labels
// counts of examples or steps compactly: 500, 1.5k, 2M.
type niceTicks struct{ count bool }

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	step, decimals := niceStep((hi - lo) / 5)
	if !(step > 0) || !finite(step) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	minor := step / 2
	var ticks []plot.Tick
	for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+minor*1e-9; k++ {
		v := k * minor
		tick := plot.Tick{Value: v}
		if math.Mod(k, 2) == 0 {
			switch {
			case v == 0:
				tick.Label = "0"
			case t.count:
				tick.Label = countLabel(v)
			case decimals <= 6 && math.Abs(v) < 1e7:
				tick.Label = strconv.FormatFloat(v, 'f', max(0, decimals), 64)
			default: // enough digits to tell neighbours apart
				digits := int(math.Floor(math.Log10(math.Abs(v)))) + decimals + 1
				tick.Label = strconv.FormatFloat(v, 'g', max(1, digits), 64)
			}
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// niceStep returns the smallest of 1, 2, 2.5, 5 times a power of ten that
// is at least x, and the decimals that its multiples need (negative for
// steps of tens and more).
func niceStep(x float64) (step float64, decimals int) {
	e := math.Floor(math.Log10(x))
	p := math.Pow(10, e)
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x*(1-1e-9) {
			if m == 10 {
				e++
			}
			decimals = -int(e)
			if m == 2.5 {
				decimals++
			}
			return m * p, decimals
		}
	}
	return x, 0
}

func countLabel(v float64) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	switch a := math.Abs(v); {
	case a >= 1e6:
		return f(v/1e6) + "M"
	case a >= 1e4:
		return f(v/1e3) + "k"
	}
	return f(v)
}

// logTicks marks a log axis drawn in log10 space (see panel.plot): every
// decade, labelling at most about six, and the multiples 2..9 of each decade
// when the axis spans three decades or less, labelling 2 and 5 when it spans
// two or less. An axis narrower than that gets round values (niceTicks).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	a, b := int(math.Floor(lo)), int(math.Ceil(hi))
	every := max(1, (b-a+5)/6)
	in := func(v float64) bool { return v >= lo-1e-9 && v <= hi+1e-9 }
	var decades int
	for e := a; e <= b; e++ {
		if in(float64(e)) {
			decades++
		}
	}
	var ticks []plot.Tick
	labels := 0
	for e := a; e <= b; e++ {
		for m := 1; m < 10; m++ {
			if m > 1 && b-a > 3 {
				break
			}
			v := float64(e) + math.Log10(float64(m))
			if !in(v) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 && e%every == 0 || decades <= 2 && (m == 2 || m == 5) {
				t.Label = powerLabel(m, e)
				labels++
			}
			ticks = append(ticks, t)
		}
	}
	if labels >= 2 {
		return ticks
	}
	ticks = ticks[:0]
	for _, t := range (niceTicks{}).Ticks(math.Pow(10, lo), math.Pow(10, hi)) {
		if t.Value > 0 {
			t.Value = math.Log10(t.Value)
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// powerLabel writes m·10^e plainly near 1 and as "me-9" far from it.
func powerLabel(m, e int) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(float64(m)*math.Pow(10, float64(e)), 'f', max(0, -e), 64)
	}
	return strconv.Itoa(m) + "e" + strconv.Itoa(e)
}

// lineThumb is a legend entry's sample: the band's colour behind the line.
type lineThumb struct {
	line draw.LineStyle
	band color.Color
}

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if t.band != nil {
		h := (c.Max.Y - c.Min.Y) * 0.3
		c.FillPolygon(t.band, []vg.Point{
			{X: c.Min.X, Y: y - h}, {X: c.Max.X, Y: y - h}, {X: c.Max.X, Y: y + h}, {X: c.Min.X, Y: y + h},
		})
	}
	c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
}

// greekLabel writes an axis value for a line label: eta as η and leak as α,
// the paper's symbols.
func greekLabel(axis string) string {
	switch axis {
	case "eta":
		return "η"
	case "leak":
		return "α"
	}
	return strings.ReplaceAll(axis, "_", " ")
}
