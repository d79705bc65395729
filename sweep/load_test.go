package sweep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dinv/config"
)

// TestLoadResolved: for every sweep file of the repository, the sweep.yaml
// it resolves to loads with the file's hash, plans the same cells, and
// resolves to itself byte for byte (so a run of it leaves the folder's
// sweep.yaml alone). A file without the header, or a sweep.yaml edited by
// hand, is a configuration error naming the file.
func TestLoadResolved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.yaml")
	eachResolved(t, func(f string, c *config.Config, p *Plan, text []byte) {
		os.WriteFile(path, text, 0o644)
		q, err := LoadResolved(path, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if q.Config.SHA256 != c.SHA256 {
			t.Errorf("%s: its sweep.yaml loads with SHA256 %s, want the file's %s", f, q.Config.SHA256, c.SHA256)
		}
		if again, _ := Resolved(q); !bytes.Equal(again, text) {
			t.Errorf("%s: its sweep.yaml resolves to other text:\n%s\nwant\n%s", f, again, text)
		}
		samePlans(t, f, p, q)
		src, _ := os.ReadFile(f)
		for _, tc := range []struct{ name, text, want string }{
			{"a comment added", string(text) + "# a note\n", "edited since dinv wrote it"},
			{"indented by four", strings.ReplaceAll(string(text), "\n  ", "\n    "), "edited since dinv wrote it"},
			{"the header on the original", string(text[:bytes.Index(text, []byte("\nsweep:"))+1]) + string(src), "edited since dinv wrote it"},
			{"the original", string(src), "not a sweep.yaml that dinv wrote"},
		} {
			os.WriteFile(path, []byte(tc.text), 0o644)
			_, err := LoadResolved(path, 0)
			if !errors.Is(err, config.ErrInvalid) || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s: error %v, want a configuration error naming the file and saying %q", f, tc.name, err, tc.want)
			}
		}
	})
	if _, err := LoadResolved(filepath.Join(dir, "missing.yaml"), 0); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("a missing file: %v, want a configuration error, as config.Load gives", err)
	}
}
