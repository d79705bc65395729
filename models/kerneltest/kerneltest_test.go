package kerneltest

import (
	"dinv/models"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The harness itself must fail on an empty file, an unknown kind and a
// case outside its tolerance.
func TestReferenceHarnessFails(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	angle := `{"name":"a","kind":"angle","a":[1,0],"b":[0,1],"want_deg":%s,"tol":1e-9}`
	for _, c := range []struct{ name, body, want string }{
		{"empty", `{"schema":"dinv-reference-vectors/1","cases":[]}`, "no cases"},
		{"unknown", `{"cases":[{"name":"x","kind":"teleport"}]}`, `unknown case kind "teleport"`},
		{"off", `{"cases":[` + fmt.Sprintf(angle, "90.001") + `]}`, `case 0 "a" (angle): angle: largest difference 0.001`},
	} {
		n, errs := checkReferenceFile(write(c.name+".json", c.body), models.Reference{})
		if n != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%s: %d passed, errors %v; want one containing %q", c.name, n, errs, c.want)
		}
	}
	if n, errs := checkReferenceFile(write("good.json", `{"cases":[`+fmt.Sprintf(angle, "90")+`]}`), models.Reference{}); n != 1 || errs != nil {
		t.Errorf("good file: %d passed, %v", n, errs)
	}
}
