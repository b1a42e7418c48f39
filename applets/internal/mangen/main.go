// Command mangen writes the manual pages of every applet, and of the
// daemontools executable itself, as troff man(7) pages made from the
// applet table (applets/table.go and the texts beside it):
//
//	go run ./applets/internal/mangen -o bin/man
//
// writes bin/man/man1/svc.1, bin/man/man8/svscan.8 and so on. `make man`
// runs it. It is a separate program, not a subcommand of the
// executable, so that the troff writer costs the executable nothing;
// the texts themselves are in the executable anyway, for
// `daemontools help`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/daemontools-go/daemontools/applets"
)

func main() {
	out := flag.String("o", "bin/man", "write the pages under `dir`/manN")
	version := flag.String("version", "", "the version in the page footers (default: this program's)")
	date := flag.String("date", "", "the date in the page footers")
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *version == "" {
		*version = applets.Version()
	}
	pages := append(applets.Table(), &applets.Dispatcher)
	for _, a := range pages {
		page, err := Page(a, *version, *date)
		if err == nil {
			err = write(*out, a, page)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mangen: %s: %v\n", a.Name, err)
			os.Exit(1)
		}
	}
}

func write(dir string, a *applets.Applet, page string) error {
	sec := strconv.Itoa(a.Section)
	dir = filepath.Join(dir, "man"+sec)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, a.Name+"."+sec), []byte(page), 0o644)
}

// Page returns the man(7) page of a. It fails when a's text departs from
// the markup applets.ParseDoc reads.
func Page(a *applets.Applet, version, date string) (string, error) {
	blocks, err := applets.ParseDoc(a.Long)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`.\" Made by applets/internal/mangen from the applet table; do not edit.` + "\n")
	// No hyphenation, so that option names and paths stay whole: the
	// man macros read the HY register at .TH (a .nh would not last).
	b.WriteString(".nr HY 0\n")
	fmt.Fprintf(&b, ".TH %s %d %s %s \"daemontools\"\n", a.Name, a.Section, quote(date), quote("daemontools "+version))
	b.WriteString(".SH NAME\n" + escape(a.Name) + ` \- ` + escape(a.Short) + "\n")
	b.WriteString(".SH SYNOPSIS\n")
	for _, form := range strings.Split(a.UsageLine, "\n") {
		words := applets.SynopsisWords(form)
		b.WriteString(".SY " + escape(words[0]) + "\n")
		for i, w := range words[1:] {
			// A bracketed group never breaks inside.
			words[i+1] = strings.ReplaceAll(escape(w), " ", `\ `)
		}
		b.WriteString(strings.Join(words[1:], " ") + "\n.YS\n")
	}
	b.WriteString(".SH DESCRIPTION\n")
	for _, blk := range blocks {
		switch blk.Kind {
		case applets.Heading:
			b.WriteString(".SH " + quote(blk.Tag) + "\n")
			continue
		case applets.Paragraph:
			b.WriteString(".PP\n")
		case applets.Item:
			b.WriteString(".TP\n" + `\fB` + escape(blk.Tag) + `\fR` + "\n")
		case applets.ItemMore:
			b.WriteString(".IP\n")
		case applets.Verbatim:
			b.WriteString(".PP\n.RS 4\n.nf\n")
			for _, l := range blk.Lines {
				b.WriteString(escape(l) + "\n")
			}
			b.WriteString(".fi\n.RE\n")
			continue
		}
		for _, l := range blk.Lines {
			b.WriteString(escape(l) + "\n")
		}
	}
	if refs := applets.SeeAlso(a); len(refs) > 0 {
		b.WriteString(".SH \"SEE ALSO\"\n")
		for i, r := range refs {
			name, sec, _ := strings.Cut(r, "(")
			b.WriteString(`\fB` + escape(name) + `\fR(` + sec)
			if i < len(refs)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

// escape makes a line of text safe for troff: backslashes printed as
// such, every hyphen a minus sign (so that options can be copied from
// the page), and no request or control character at the start.
func escape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// quote makes s one argument of a request.
func quote(s string) string {
	return `"` + strings.ReplaceAll(escape(s), `"`, `""`) + `"`
}
