package supervision

// Reporter is how the engine speaks: it says what failed and why, and
// the program hosting it decides how that looks. The supervise and
// svscan applets print daemontools' lines ("supervise: warning: MSG:
// ERR", with daemontools' error texts); tests record the reports.
// Reports may come from any goroutine, one line each.
type Reporter interface {
	// Warn reports a failure that the engine works around or retries.
	Warn(msg string, err error)
	// Fatal reports a failure that ends what it concerns: a supervisor
	// that cannot start, or a ./run that cannot be executed (what the
	// reference's child prints before it exits 111). The engine goes on
	// with everything else. err may be nil.
	Fatal(msg string, err error)
}

// quiet is the Reporter of a host that gave none.
type quiet struct{}

func (quiet) Warn(string, error)  {}
func (quiet) Fatal(string, error) {}

func orQuiet(r Reporter) Reporter {
	if r == nil {
		return quiet{}
	}
	return r
}
