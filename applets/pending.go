package applets

import "github.com/daemontools-go/daemontools/applets/internal/diag"

// NotImplemented is the Main of an applet whose issue has not landed
// yet: it exits 100 with "NAME: fatal: not implemented yet".
func NotImplemented(name string) func([]string) int {
	return func([]string) int {
		return diag.Fatal(name, 100, "not implemented yet", nil)
	}
}
