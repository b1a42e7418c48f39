package main

import (
	"strings"
	"testing"

	"github.com/daemontools-go/daemontools/applets"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"svc -dx":          `svc \-dx`,
		`a\b`:              `a\eb`,
		".hidden":          `\&.hidden`,
		"'quoted'":         `\&'quoted'`,
		"mid . and ' stay": "mid . and ' stay",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPage(t *testing.T) {
	for _, a := range append(applets.Table(), &applets.Dispatcher) {
		page, err := Page(a, "v1.0", "2026-01-02")
		if err != nil {
			t.Errorf("%s: %v", a.Name, err)
			continue
		}
		for _, want := range []string{
			".TH " + a.Name + " ",
			"\n.SH NAME\n" + escape(a.Name) + ` \- `,
			"\n.SH SYNOPSIS\n.SY " + escape(a.Name) + "\n",
			"\n.SH DESCRIPTION\n",
			"\n.SH \"EXIT STATUS\"\n",
			"\n.SH \"SEE ALSO\"\n",
		} {
			if a == &applets.Dispatcher && strings.HasPrefix(want, "\n.SH SYNOPSIS") {
				want = "\n.SH SYNOPSIS\n.SY daemontools\n"
			}
			if !strings.Contains(page, want) {
				t.Errorf("%s's page lacks %q", a.Name, want)
			}
		}
		for i, l := range strings.Split(page, "\n") {
			if strings.HasPrefix(l, ".") && !strings.HasPrefix(l, `.\"`) {
				req, _, _ := strings.Cut(l[1:], " ")
				switch req {
				case "nr", "TH", "SH", "SY", "YS", "PP", "TP", "IP", "RS", "RE", "nf", "fi":
				default:
					t.Errorf("%s line %d: request %q", a.Name, i+1, l)
				}
			}
		}
	}
}
