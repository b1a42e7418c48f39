package getopt

import (
	"strings"
	"testing"
)

type step struct {
	c   byte
	arg string
}

func parse(argv []string, opts string) (steps []step, rest []string) {
	p := New(argv, opts)
	p.Quiet = true
	for {
		c, ok := p.Next()
		if !ok {
			break
		}
		steps = append(steps, step{c, p.Arg})
		if c == Error {
			break
		}
	}
	return steps, p.Rest()
}

func TestParse(t *testing.T) {
	cases := []struct {
		argv  string
		opts  string
		steps string
		rest  string
	}{
		{"svc -dx a b", "udx", "d x", "a b"},
		{"svc -d -x a", "udx", "d x", "a"},
		{"svc a -d", "udx", "", "a -d"},
		{"svc -- -d", "udx", "", "-d"},
		{"svc --whatever -d", "udx", "", "-d"},
		{"svc - -d", "udx", "", "- -d"},
		{"svc -z a", "udx", "?", ""},
		{"softlimit -m100 -o 20 prog", "m:o:", "m=100 o=20", "prog"},
		{"softlimit -m", "m:o:", "?", ""},
		{"softlimit -om 5 x", "m:o:", "o=m", "5 x"},
		{"setlock -nx f p", "nNxX", "n x", "f p"},
		{"svc", "udx", "", ""},
		{"svc -", "udx", "", "-"},
	}
	for _, c := range cases {
		steps, rest := parse(strings.Fields(c.argv), c.opts)
		var got []string
		for _, s := range steps {
			if s.arg != "" {
				got = append(got, string(s.c)+"="+s.arg)
			} else {
				got = append(got, string(s.c))
			}
		}
		if strings.Join(got, " ") != c.steps {
			t.Errorf("%q: steps %q, want %q", c.argv, strings.Join(got, " "), c.steps)
		}
		if c.steps != "?" && strings.Join(rest, " ") != c.rest {
			t.Errorf("%q: rest %q, want %q", c.argv, rest, c.rest)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("-dx a b", "udx")
	f.Add("-m100 -o 20 prog", "m:o:")
	f.Add("-- -", "a:")
	f.Fuzz(func(t *testing.T, args, opts string) {
		argv := append([]string{"prog"}, strings.Split(args, " ")...)
		p := New(argv, opts)
		p.Quiet = true
		for i := 0; ; i++ {
			if i > len(args)+2 {
				t.Fatalf("no progress on %q", args)
			}
			c, ok := p.Next()
			if !ok || c == Error {
				break
			}
		}
		_ = p.Rest()
	})
}
