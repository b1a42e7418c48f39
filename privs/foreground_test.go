package privs

import (
	"slices"
	"testing"
)

func TestFghackFiles(t *testing.T) {
	const w = 99
	never := ^uintptr(0)
	layout := func(open []bool) (pipe []int, kept []int, closed []int) {
		files := fghackFiles(open, w)
		for fd, f := range files {
			switch f {
			case w:
				pipe = append(pipe, fd)
			case uintptr(fd):
				kept = append(kept, fd)
			case never:
				closed = append(closed, fd)
			default:
				t.Fatalf("fd %d maps to %d", fd, f)
			}
		}
		return
	}
	seq := func(from, to int, skip ...int) []int {
		var s []int
		for i := from; i <= to; i++ {
			if !slices.Contains(skip, i) {
				s = append(s, i)
			}
		}
		return s
	}
	// The usual case: 0-2 open, pipe() gives 3 and 4, the child closes 3
	// and dups 4 onto 3, 5, 6, ... 33.
	pipe, kept, closed := layout([]bool{true, true, true, false, false})
	if !slices.Equal(pipe, seq(3, 33)) || !slices.Equal(kept, []int{0, 1, 2}) || closed != nil {
		t.Errorf("0-2 open: pipe %v kept %v closed %v", pipe, kept, closed)
	}
	// An inherited fd 10 stays, and the copies go around it.
	open := make([]bool, 40)
	open[0], open[1], open[2], open[10] = true, true, true, true
	pipe, kept, _ = layout(open)
	if !slices.Equal(pipe, seq(3, 34, 10)) || !slices.Equal(kept, []int{0, 1, 2, 10}) {
		t.Errorf("fd 10 inherited: pipe %v kept %v", pipe, kept)
	}
	// stdin closed: pipe() gives 0 and 3; the child dups 3 onto 0, 4, ...
	pipe, _, _ = layout([]bool{false, true, true})
	if !slices.Equal(pipe, append([]int{0}, seq(3, 32)...)) {
		t.Errorf("stdin closed: pipe %v", pipe)
	}
}
