package applets

import (
	"slices"
	"strings"
	"testing"
)

// The 17 programs of daemontools 0.76, in the help order of the table.
var helpOrder = []string{
	"svscan", "supervise", "svc", "svok", "svstat", "svscanboot", "readproctitle",
	"multilog", "tai64n", "tai64nlocal", "setuidgid", "envuidgid", "envdir",
	"softlimit", "setlock", "fghack", "pgrphack",
}

func TestTableHoldsEveryProgramInHelpOrder(t *testing.T) {
	var names []string
	for _, a := range Table() {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, helpOrder) {
		t.Errorf("table:\n%v\nwant:\n%v", names, helpOrder)
	}
}

// The usage lines are the reference's, byte for byte (SPEC.md); the
// applets print them from here.
func TestUsageIsTheReferences(t *testing.T) {
	want := map[string]string{
		"supervise": "supervise dir",
		"svc":       "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill",
		"svok":      "svok dir",
		"setuidgid": "setuidgid account child",
		"envuidgid": "envuidgid account child",
		"envdir":    "envdir dir child",
		"softlimit": "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child",
		"setlock":   "setlock [ -nNxX ] file program [ arg ... ]",
		"fghack":    "fghack child",
		"pgrphack":  "pgrphack child",
	}
	for _, a := range Table() {
		if got := UsageOf(a.Name); got != want[a.Name] {
			t.Errorf("UsageOf(%q) = %q, want %q", a.Name, got, want[a.Name])
		}
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestRegister(t *testing.T) {
	a := find("svok")
	defer func() { a.Main = nil }()
	if _, ok := Lookup("svok"); ok {
		t.Fatal("svok is registered before Register")
	}
	if len(All()) != 0 || len(Names()) != 0 {
		t.Fatalf("All() = %v before any Register", Names())
	}
	main := func([]string) int { return 7 }
	Register("svok", main)
	got, ok := Lookup("svok")
	if !ok || got.Main(nil) != 7 || got.Name != "svok" {
		t.Fatalf("Lookup after Register: %v %v", got, ok)
	}
	if names := Names(); !slices.Equal(names, []string{"svok"}) {
		t.Errorf("Names() = %v", names)
	}
	mustPanic(t, "a second Register", func() { Register("svok", main) })
	mustPanic(t, "Register of a name not in the table", func() { Register("svcan", main) })
	mustPanic(t, "Register without a Main", func() { Register("svc", nil) })
	mustPanic(t, "UsageOf a name not in the table", func() { UsageOf("svcan") })
	if _, ok := Lookup("frobnicate"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}

// Every page follows the markup, uses known sections in order, says
// where each difference and extension comes from, and refers only to
// pages that exist.
func TestEveryPageFollowsTheMarkup(t *testing.T) {
	origins := []string{"[from runit]", "[from s6]", "[from systemd]", "[from Debian]", "[from ours]"}
	for _, a := range append(Table(), &Dispatcher) {
		t.Run(a.Name, func(t *testing.T) {
			if a.Section != 1 && a.Section != 8 {
				t.Errorf("section %d", a.Section)
			}
			if a.Short == "" || a.UsageLine == "" || a.Long == "" {
				t.Fatal("Short, UsageLine or Long is empty")
			}
			if a != &Dispatcher && !strings.HasPrefix(a.UsageLine, a.Name) {
				t.Errorf("synopsis %q does not start with the name", a.UsageLine)
			}
			blocks, err := ParseDoc(a.Long)
			if err != nil {
				t.Fatal(err)
			}
			if blocks[0].Kind != Paragraph {
				t.Errorf("the page starts with a %v block, not a paragraph", blocks[0].Kind)
			}
			section, last := "", -1
			seen := map[string]bool{}
			for _, b := range blocks {
				if b.Kind == Heading {
					i := slices.Index(Sections[:], b.Tag)
					if i <= last {
						t.Errorf("section %s out of order or repeated", b.Tag)
					}
					last, section = i, b.Tag
					seen[section] = true
					continue
				}
				if b.Kind == Item && (section == "DIFFERENCES FROM DAEMONTOOLS 0.76" || section == "EXTENSIONS") {
					if !slices.ContainsFunc(origins, func(o string) bool { return strings.HasSuffix(b.Tag, " "+o) }) {
						t.Errorf("%s item %q does not say where it comes from", section, b.Tag)
					}
				}
			}
			for _, s := range []string{"EXIT STATUS", "DIFFERENCES FROM DAEMONTOOLS 0.76"} {
				if !seen[s] {
					t.Errorf("no %s section", s)
				}
			}
			for _, r := range SeeAlso(a) {
				if strings.HasSuffix(r, "(?)") {
					t.Errorf("SEE ALSO names %s, which is no applet", r)
				}
			}
			for i, l := range strings.Split(Help(a), "\n") {
				if len(l) > MaxDocWidth+4 {
					t.Errorf("help line %d is %d columns: %q", i+1, len(l), l)
				}
			}
		})
	}
}
