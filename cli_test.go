package main

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestHelp: the top-level usage lists every command, with its synopsis and
// summary; every flag of every command's FlagSet is in the command's
// synopsis and in its help (dinv NAME -h and dinv help NAME alike), and a
// flag that takes a value names it in backquotes, as the synopsis shows it.
// The README's table of commands shows the same synopses.
func TestHelp(t *testing.T) {
	code, top, errs := cli(t, "help")
	if code != 0 || errs != "" {
		t.Fatalf("help: exit %d, stderr %q", code, errs)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		if code, out, _ := cli(t, args...); code != 0 || out != top {
			t.Errorf("%q: exit %d, want 0 and the usage of dinv help on stdout", args, code)
		}
	}
	if code, _, errs := cli(t); code != 2 || !strings.HasPrefix(errs, top) {
		t.Errorf("no command: exit %d, stderr:\n%s\nwant exit 2 and the usage", code, errs)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		fs, _ := c.flagSet(io.Discard)
		syn := c.synopsis(fs)
		if !strings.Contains(top, "\n  "+syn+"\n") {
			t.Errorf("the usage lacks the synopsis %q:\n%s", syn, top)
		}
		if !strings.Contains(top, "\n  "+c.name+strings.Repeat(" ", 9-len(c.name))+c.summary+"\n") {
			t.Errorf("the usage lacks %s's summary %q:\n%s", c.name, c.summary, top)
		}
		code, _, h := cli(t, c.name, "-h")
		if code != 0 || !strings.HasPrefix(h, "Usage: "+syn+"\n\n"+c.about+"\n") {
			t.Errorf("%s -h: exit %d, stderr:\n%s\nwant exit 0 and the synopsis and description", c.name, code, h)
		}
		if code, h2, _ := cli(t, "help", c.name); code != 0 || h2 != h {
			t.Errorf("help %s: exit %d, stdout:\n%s\nwant what %s -h prints:\n%s", c.name, code, h2, c.name, h)
		}
		if code, _, e := cli(t, c.name); code != 2 || !strings.HasPrefix(e, h) {
			t.Errorf("%s without its argument: exit %d, stderr:\n%s\nwant exit 2 and the help", c.name, code, e)
		}
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			value, _ := flag.UnquoteUsage(f)
			inSyn := "[-" + f.Name + "]"
			if value != "" {
				inSyn = "[-" + f.Name + " " + value + "]"
				if !strings.Contains(f.Usage, "`") {
					t.Errorf("%s -%s: the usage %q names no value in backquotes", c.name, f.Name, f.Usage)
				}
			}
			if !strings.Contains(syn, inSyn) {
				t.Errorf("%s: the synopsis %q lacks %s", c.name, syn, inSyn)
			}
			if !strings.Contains(h, "\n  -"+f.Name+" ") && !strings.Contains(h, "\n  -"+f.Name+"\n") {
				t.Errorf("%s -h lacks -%s:\n%s", c.name, f.Name, h)
			}
		})
		if n == 0 {
			t.Errorf("%s has no flags", c.name)
		}
		row := "| `" + strings.ReplaceAll(strings.TrimPrefix(syn, "dinv "), "|", `\|`) + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("the README's table of commands lacks %s", row)
		}
	}
	if code, _, errs := cli(t, "help", "frobnicate"); code != 2 || !strings.Contains(errs, `dinv: unknown command "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr:\n%s", code, errs)
	}
}
