package applets

import (
	"errors"
	"strconv"
	"strings"
)

// The markup of Applet.Long, which `daemontools help` (below) and the
// man page generator (applets/internal/mangen) both read. It is plain
// text that reads well as it is:
//
//   - Blocks are separated by blank lines. No line is longer than
//     MaxDocWidth columns; there are no tabs and nothing but ASCII.
//   - A block of one line that is one of Sections starts that section.
//     Text before the first such line is the DESCRIPTION.
//   - A block whose first line starts in column 0 and whose other lines
//     are indented by four spaces is an item: the first line is its tag
//     (an option, a file, an exit code), the rest is its text.
//   - A block indented by four spaces right after an item continues it.
//   - A block indented by two spaces is shown verbatim (an example).
//   - Any other block is a paragraph.
//
// An item under DIFFERENCES FROM DAEMONTOOLS 0.76 or EXTENSIONS ends its
// tag with where it comes from: "[from runit]", "[from s6]",
// "[from systemd]", "[from Debian]" or "[from ours]".

// MaxDocWidth is the longest line Long may have: help indents it by
// four more columns.
const MaxDocWidth = 72

// Sections are the headings Long may use, in the order a page has them.
var Sections = [...]string{
	"OPTIONS", "COMMANDS", "SCRIPT", "LOG DIRECTORIES", "FILES", "SIGNALS",
	"ENVIRONMENT", "EXIT STATUS", "DIFFERENCES FROM DAEMONTOOLS 0.76",
	"EXTENSIONS", "EXAMPLES",
}

// BlockKind says what a block of Long is.
type BlockKind uint8

// The kinds of block ParseDoc returns.
const (
	Heading BlockKind = iota + 1
	Paragraph
	Item
	ItemMore // a further paragraph of the item before it
	Verbatim
)

// Block is one block of Long: its kind, the tag of an item, and its
// lines with the markup's indentation removed.
type Block struct {
	Kind  BlockKind
	Tag   string
	Lines []string
}

func isSection(s string) bool {
	for _, h := range Sections {
		if s == h {
			return true
		}
	}
	return false
}

// ParseDoc splits long into blocks. It returns every block it could
// read and the first departure from the markup, if any (the tests keep
// every page free of them).
func ParseDoc(long string) ([]Block, error) {
	var blocks []Block
	var bad error
	fail := func(n int, msg string) {
		if bad == nil {
			bad = errors.New("line " + strconv.Itoa(n) + ": " + msg)
		}
	}
	lines := strings.Split(strings.Trim(long, "\n"), "\n")
	for i := 0; i < len(lines); {
		if lines[i] == "" {
			i++
			continue
		}
		start := i
		for i < len(lines) && lines[i] != "" {
			if len(lines[i]) > MaxDocWidth {
				fail(i+1, "longer than "+strconv.Itoa(MaxDocWidth)+" columns")
			}
			for _, c := range []byte(lines[i]) {
				if c < ' ' || c > '~' {
					fail(i+1, "a tab, a control character or non-ASCII")
				}
			}
			if strings.HasSuffix(lines[i], " ") {
				fail(i+1, "trailing space")
			}
			i++
		}
		b, msg := classify(lines[start:i], blocks)
		if msg != "" {
			fail(start+1, msg)
		}
		blocks = append(blocks, b)
	}
	return blocks, bad
}

// classify tells what one block is, given the blocks before it.
func classify(ls []string, before []Block) (Block, string) {
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	all := func(n int, ls []string) bool {
		for _, l := range ls {
			if indent(l) < n {
				return false
			}
		}
		return true
	}
	strip := func(n int, ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l[n:]
		}
		return out
	}
	first := ls[0]
	switch {
	case len(ls) == 1 && isSection(first):
		return Block{Kind: Heading, Tag: first}, ""
	case indent(first) == 0 && len(ls) > 1 && all(4, ls[1:]):
		return Block{Kind: Item, Tag: first, Lines: strip(4, ls[1:])}, ""
	case indent(first) == 4 && all(4, ls):
		if n := len(before); n == 0 || (before[n-1].Kind != Item && before[n-1].Kind != ItemMore) {
			return Block{Kind: Verbatim, Lines: strip(2, ls)}, "an indented block that follows no item"
		}
		return Block{Kind: ItemMore, Lines: strip(4, ls)}, ""
	case indent(first) == 2 && all(2, ls):
		return Block{Kind: Verbatim, Lines: strip(2, ls)}, ""
	case indent(first) == 0:
		for _, l := range ls {
			if indent(l) != 0 {
				return Block{Kind: Paragraph, Lines: ls}, "a paragraph with indented lines"
			}
		}
		if len(ls) == 1 && strings.ToUpper(first) == first && strings.IndexFunc(first, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
			return Block{Kind: Paragraph, Lines: ls}, "a heading that is not one of Sections: " + first
		}
		return Block{Kind: Paragraph, Lines: ls}, ""
	}
	return Block{Kind: Paragraph, Lines: ls}, "indentation the markup does not know"
}

// Help returns the manual of a as plain text, laid out as man lays out
// its page: what `daemontools help NAME` prints.
func Help(a *Applet) string {
	var b strings.Builder
	b.WriteString("NAME\n    " + a.Name + " - " + a.Short + "\n\nSYNOPSIS\n")
	for _, form := range strings.Split(a.UsageLine, "\n") {
		wrap(&b, SynopsisWords(form), 4, 8)
	}
	b.WriteString("\nDESCRIPTION\n")
	blocks, _ := ParseDoc(a.Long)
	afterHeading := true
	for _, blk := range blocks {
		if blk.Kind == Heading {
			b.WriteString("\n" + blk.Tag + "\n")
			afterHeading = true
			continue
		}
		if !afterHeading {
			b.WriteByte('\n')
		}
		afterHeading = false
		switch blk.Kind {
		case Item:
			lines := blk.Lines
			if len(blk.Tag) <= 3 {
				// A short tag shares its line with the text, as in man.
				b.WriteString("    " + blk.Tag + strings.Repeat(" ", 4-len(blk.Tag)) + lines[0] + "\n")
				lines = lines[1:]
			} else {
				b.WriteString("    " + blk.Tag + "\n")
			}
			writeLines(&b, "        ", lines)
		case ItemMore:
			writeLines(&b, "        ", blk.Lines)
		case Verbatim:
			writeLines(&b, "        ", blk.Lines)
		default:
			writeLines(&b, "    ", blk.Lines)
		}
	}
	if a.SeeAlso != "" {
		b.WriteString("\nSEE ALSO\n")
		refs := SeeAlso(a)
		for i := range refs[:len(refs)-1] {
			refs[i] += ","
		}
		wrap(&b, refs, 4, 4)
	}
	return b.String()
}

// SynopsisWords splits one form of a synopsis into the pieces a line
// may break between: words, and bracketed groups such as "[-m membytes]"
// whole.
func SynopsisWords(form string) []string {
	var out []string
	depth := 0
	for _, w := range strings.Fields(form) {
		if depth > 0 {
			out[len(out)-1] += " " + w
		} else {
			out = append(out, w)
		}
		depth += strings.Count(w, "[") - strings.Count(w, "]")
	}
	return out
}

// SeeAlso returns a's related pages as "name(section)".
func SeeAlso(a *Applet) []string {
	var refs []string
	for _, name := range strings.Fields(a.SeeAlso) {
		if strings.HasSuffix(name, ")") {
			refs = append(refs, name)
		} else if x := find(name); x != nil {
			refs = append(refs, name+"("+strconv.Itoa(x.Section)+")")
		} else {
			refs = append(refs, name+"(?)")
		}
	}
	return refs
}

func writeLines(b *strings.Builder, indent string, lines []string) {
	for _, l := range lines {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + l + "\n")
	}
}

// wrap fills words into lines of at most MaxDocWidth+4 columns, the
// first indented by first columns and the rest by next.
func wrap(b *strings.Builder, words []string, first, next int) {
	col := 0
	for i, w := range words {
		switch {
		case i == 0:
			b.WriteString(strings.Repeat(" ", first))
			col = first
		case col+1+len(w) > MaxDocWidth+4:
			b.WriteString("\n" + strings.Repeat(" ", next))
			col = next
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	b.WriteByte('\n')
}
