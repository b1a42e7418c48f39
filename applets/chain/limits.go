package chain

import (
	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/getopt"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/privs"
)

// softlimitResources maps each option to the limits it sets, in the
// reference's order (-m: data, stack, locked memory, address space).
func softlimitResources(opt byte) []int {
	switch opt {
	case 'a':
		return []int{privs.RlimitAS}
	case 'c':
		return []int{privs.RlimitCore}
	case 'd':
		return []int{privs.RlimitData}
	case 'f':
		return []int{privs.RlimitFsize}
	case 'l':
		return []int{privs.RlimitMemlock}
	case 'm':
		return []int{privs.RlimitData, privs.RlimitStack, privs.RlimitMemlock, privs.RlimitAS}
	case 'o':
		return []int{privs.RlimitNofile}
	case 'p':
		return []int{privs.RlimitNproc}
	case 'r':
		return []int{privs.RlimitRSS}
	case 's':
		return []int{privs.RlimitStack}
	case 't':
		return []int{privs.RlimitCPU}
	}
	return nil
}

func softlimit(argv []string) int {
	const prog = "softlimit"
	var limits []privs.Limit
	p := getopt.New(argv, "a:c:d:f:l:m:o:p:r:s:t:")
	for {
		opt, ok := p.Next()
		if !ok {
			break
		}
		// The reference checks each value as it meets it, so a bad
		// value hides any bad option after it.
		value, toHard, valid := privs.ParseLimit(p.Arg)
		if opt == getopt.Error || !valid {
			return diag.Usage(prog, 100, applets.UsageOf(prog))
		}
		for _, res := range softlimitResources(opt) {
			limits = append(limits, privs.Limit{Resource: res, Value: value, ToHard: toHard})
		}
	}
	child := p.Rest()
	if len(child) == 0 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	// The limits are set just before the exec, with everything it needs
	// built beforehand, or handed down when the child is another of our
	// loaders (privs.DeferVar).
	return execFailed(prog, child[0], privs.ExecChain(child, privs.Environ(), limits))
}
