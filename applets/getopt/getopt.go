// Package getopt parses options the way daemontools' own getopt does,
// messages included. The reference programs that take options (svc,
// softlimit, setlock, ...) accept exactly this syntax: options may be
// bundled (-dx), an option's argument may be attached (-m100) or the next
// word, a word that begins with "--" ends the options and is consumed, a
// lone "-" or the first word not beginning with '-' ends them and is
// kept. An unknown option prints "NAME: illegal option -- X" and a
// missing argument "NAME: option requires an argument -- X", where NAME
// is the basename of argv[0] (the one place daemontools does not use its
// fixed program name); the caller then prints its usage.
package getopt

import (
	"path/filepath"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
)

// Error is what Next returns for a bad option.
const Error = '?'

// Parser walks one argument vector.
type Parser struct {
	prog string
	args []string
	opts string
	ind  int // index of the word being parsed
	pos  int // position inside that word, 0 between words
	// Arg is the argument of the option Next just returned.
	Arg string
	// Quiet suppresses the messages.
	Quiet bool
}

// New parses argv (argv[0] is the program name) against opts, in which a
// letter followed by ':' takes an argument.
func New(argv []string, opts string) *Parser {
	prog := ""
	if len(argv) > 0 {
		prog = filepath.Base(argv[0])
	}
	return &Parser{prog: prog, args: argv, opts: opts, ind: 1}
}

// Next returns the next option letter and true, Error and true after
// printing the reference's message, or false when the options are over.
func (p *Parser) Next() (byte, bool) {
	p.Arg = ""
	if p.ind >= len(p.args) {
		return 0, false
	}
	if p.pos > 0 && p.pos >= len(p.args[p.ind]) {
		p.ind++
		p.pos = 0
		if p.ind >= len(p.args) {
			return 0, false
		}
	}
	if p.pos == 0 {
		w := p.args[p.ind]
		if len(w) == 0 || w[0] != '-' {
			return 0, false
		}
		if len(w) == 1 {
			return 0, false // "-" is an operand
		}
		if w[1] == '-' {
			p.ind++ // "--..." ends the options and is consumed
			return 0, false
		}
		p.pos = 1
	}
	w := p.args[p.ind]
	c := w[p.pos]
	p.pos++
	for i := 0; i < len(p.opts); i++ {
		if p.opts[i] == ':' {
			continue
		}
		if p.opts[i] != c {
			continue
		}
		if i+1 < len(p.opts) && p.opts[i+1] == ':' {
			p.Arg = w[p.pos:]
			p.ind++
			p.pos = 0
			if p.Arg == "" {
				if p.ind >= len(p.args) {
					p.complain("option requires an argument", c)
					return Error, true
				}
				p.Arg = p.args[p.ind]
				p.ind++
			}
		}
		return c, true
	}
	p.complain("illegal option", c)
	return Error, true
}

func (p *Parser) complain(what string, c byte) {
	if !p.Quiet {
		diag.Write(p.prog + ": " + what + " -- " + string([]byte{c}) + "\n")
	}
}

// Rest returns the words after the options.
func (p *Parser) Rest() []string {
	if p.pos > 0 && p.ind < len(p.args) {
		// Stopped inside a word: the rest of it was consumed.
		return p.args[p.ind+1:]
	}
	if p.ind > len(p.args) {
		return nil
	}
	return p.args[p.ind:]
}
