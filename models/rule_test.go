package models

import (
	"encoding/json"
	"testing"
)

// TestRuleGParam: a rule's GParam names the parameter its g is read from.
func TestRuleGParam(t *testing.T) {
	p := Params{DIG: "from-di_g", SDIG: "from-sdi_g"}
	js, _ := json.Marshal(p)
	var named map[string]any
	json.Unmarshal(js, &named)
	for _, k := range Kinds() {
		r := k.Info()
		switch {
		case r.Loop() != (r.GParam != ""):
			t.Errorf("%s: Loop %v, GParam %q", k, r.Loop(), r.GParam)
		case r.Loop() && named[r.GParam] != r.g(p):
			t.Errorf("%s: g is read from %q, GParam says %q", k, r.g(p), r.GParam)
		}
	}
}
