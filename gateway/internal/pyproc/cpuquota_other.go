//go:build !linux

package pyproc

// quotaCPUs is 0: CPU quotas are cgroups, which only Linux has.
func quotaCPUs(root string) int { return 0 }
