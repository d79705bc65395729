//go:build fidelity

package mnist

import (
	"testing"

	"dinv/io/mnist/mnisttest"
	"dinv/models"
)

// TestClassificationDistributionCatchesBugs: the distribution test fails on
// three plausible bugs, each run on the model it touches: the learning rate
// 10% high, FA's random feedback drawn from uniform(-0.35, 0.35) instead of
// uniform(-0.5, 0.5), and inputs scaled to [0, 1] instead of standardised.
// It logs every comparison, and which quantities see each bug.
func TestClassificationDistributionCatchesBugs(t *testing.T) {
	mnisttest.Require(t)
	ref, trainSize := loadOriginalAll(t)
	byName := map[string]models.Model{}
	for _, m := range replayModels() {
		byName[m.Name] = m
	}
	for _, bug := range []struct {
		name  string
		model string
		set   func(p *models.Params)
		input func(train, test *part)
	}{
		{name: "eta x 1.1", model: "BP", set: func(p *models.Params) { p.Eta *= 1.1 }},
		{name: "FA feedback scale 0.35", model: "FA", set: func(p *models.Params) { p.FbackScale = 0.35 }},
		{name: "inputs in 0-1", model: "BP", input: func(train, test *part) {
			train.scale, train.shift = 1.0/255, 0
			test.scale, test.shift = train.scale, train.shift
		}},
	} {
		t.Run(bug.name, func(t *testing.T) {
			p := distParams(trainSize)
			if bug.set != nil {
				bug.set(&p)
			}
			ours := runOurs(t, p, []models.Model{byName[bug.model]}, distSeeds, bug.input)
			caught := map[string]int{}
			for _, c := range compareDist(t, ours, ref) {
				if c.pFails || c.medFails {
					caught[c.quantity]++
				}
				t.Logf("%v (Mann-Whitney fails: %v, medians fail: %v)", c, c.pFails, c.medFails)
			}
			t.Logf("failing comparisons by quantity: %v", caught)
			if len(caught) == 0 {
				t.Errorf("the distribution test does not see it")
			}
		})
	}
}
