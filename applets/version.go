package applets

import (
	"os"
	"strings"
)

// version is the module version, set when the executable is linked:
// the Makefile passes -ldflags=-X=<this package>.version=$(git describe
// --tags --always --dirty).
var version string

// Version returns the version `daemontools --version` prints: the one
// set at link time, else the main module's version as the go command
// recorded it (the @version of go install, or the VCS tag or commit of
// the checkout it built), else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if v := moduleVersion("/proc/self/exe"); v != "" && v != "(devel)" {
		return v
	}
	return "devel"
}

// moduleVersion returns the main module's version from the build
// information the go command wrote into the executable exe: what
// runtime/debug.ReadBuildInfo().Main.Version says, read here from the
// file's .go.buildinfo section because ReadBuildInfo links fmt and
// reflect's method tables, about 190 KB, into every applet. It returns
// "" when exe is not a 64-bit little-endian ELF file holding that
// section in the format of Go 1.18 and later.
func moduleVersion(exe string) string {
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	read := func(off, n uint64) []byte {
		if n > 1<<20 {
			return nil
		}
		b := make([]byte, n)
		if _, err := f.ReadAt(b, int64(off)); err != nil {
			return nil
		}
		return b
	}
	eh := read(0, 64)
	if eh == nil || string(eh[:4]) != "\x7fELF" || eh[4] != 2 || eh[5] != 1 {
		return ""
	}
	shoff, shsize, shnum, shstrndx := le(eh[0x28:], 8), le(eh[0x3a:], 2), le(eh[0x3c:], 2), le(eh[0x3e:], 2)
	if shsize < 64 || shstrndx >= shnum {
		return ""
	}
	sh := read(shoff, shnum*shsize)
	if sh == nil {
		return ""
	}
	section := func(i uint64) (name, off, size uint64) {
		h := sh[i*shsize:]
		return le(h, 4), le(h[0x18:], 8), le(h[0x20:], 8)
	}
	_, stroff, strsize := section(shstrndx)
	names := read(stroff, strsize)
	for i := uint64(0); i < shnum && names != nil; i++ {
		name, off, size := section(i)
		if name >= uint64(len(names)) || !strings.HasPrefix(string(names[name:]), ".go.buildinfo\x00") {
			continue
		}
		return mainVersion(read(off, min(size, 64<<10)))
	}
	return ""
}

// mainVersion decodes a .go.buildinfo blob: a 32-byte header starting
// with "\xff Go buildinf:" whose flags say the strings follow inline,
// then the Go version and the module information, each behind its
// length as a uvarint. The module information is framed by 16-byte
// sentinels and holds the line "mod\tPATH\tVERSION\tSUM".
func mainVersion(b []byte) string {
	if len(b) < 32 || string(b[:14]) != "\xff Go buildinf:" || b[15]&2 == 0 {
		return ""
	}
	b = b[32:]
	var mod string
	for i := 0; i < 2; i++ {
		n, w := uvarint(b)
		if w == 0 || n > uint64(len(b)-w) {
			return ""
		}
		mod, b = string(b[w:w+int(n)]), b[w+int(n):]
	}
	if len(mod) < 33 || mod[len(mod)-17] != '\n' {
		return ""
	}
	for _, line := range strings.Split(mod[16:len(mod)-16], "\n") {
		if f := strings.Split(line, "\t"); len(f) >= 3 && f[0] == "mod" {
			return f[2]
		}
	}
	return ""
}

// le decodes n little-endian bytes.
func le(b []byte, n int) uint64 {
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// uvarint decodes an unsigned varint, returning it and its length (0
// when b holds none).
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		if i == 10 {
			return 0, 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
