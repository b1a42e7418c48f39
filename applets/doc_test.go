package applets

import (
	"strings"
	"testing"
)

func TestParseDoc(t *testing.T) {
	blocks, err := ParseDoc(`
A paragraph
of two lines.

OPTIONS

-x
    Exit.

    More about it.

  $ an example

EXIT STATUS
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Kind: Paragraph, Lines: []string{"A paragraph", "of two lines."}},
		{Kind: Heading, Tag: "OPTIONS"},
		{Kind: Item, Tag: "-x", Lines: []string{"Exit."}},
		{Kind: ItemMore, Lines: []string{"More about it."}},
		{Kind: Verbatim, Lines: []string{"$ an example"}},
		{Kind: Heading, Tag: "EXIT STATUS"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("%d blocks, want %d: %+v", len(blocks), len(want), blocks)
	}
	for i := range want {
		if blocks[i].Kind != want[i].Kind || blocks[i].Tag != want[i].Tag || strings.Join(blocks[i].Lines, "|") != strings.Join(want[i].Lines, "|") {
			t.Errorf("block %d = %+v, want %+v", i, blocks[i], want[i])
		}
	}
}

func TestParseDocReportsWhatItCannotRead(t *testing.T) {
	for _, long := range []string{
		strings.Repeat("x", MaxDocWidth+1),
		"a\ttab",
		"caf\u00e9",
		"trailing space ",
		"COMMENTS",
		"    indented, after no item",
		"a paragraph\n  with an indented line",
		"   three spaces",
	} {
		if _, err := ParseDoc(long); err == nil {
			t.Errorf("ParseDoc(%q) reported nothing", long)
		}
	}
}

func TestHelpLaysOutAPage(t *testing.T) {
	a := &Applet{Name: "frob", Section: 1, Short: "frob things",
		UsageLine: "frob [-a arg] [-b] [-c long argument] [-d another long argument] [-e yet another argument] file...",
		Long: `
frob frobs.

OPTIONS

-a arg
    Frob with arg.

-b
    Frob hard.

  frob -b x

EXIT STATUS

111 and
    more.
`, SeeAlso: "svc frob(7)"}
	want := `NAME
    frob - frob things

SYNOPSIS
    frob [-a arg] [-b] [-c long argument] [-d another long argument]
        [-e yet another argument] file...

DESCRIPTION
    frob frobs.

OPTIONS
    -a arg
        Frob with arg.

    -b  Frob hard.

        frob -b x

EXIT STATUS
    111 and
        more.

SEE ALSO
    svc(1), frob(7)
`
	if got := Help(a); got != want {
		t.Errorf("Help:\n%s\nwant:\n%s", got, want)
	}
}
