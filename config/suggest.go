package config

import "strings"

// quoteKey writes a key as messages show it.
func quoteKey(k string) string { return `"` + strings.ReplaceAll(k, `"`, `\"`) + `"` }

// closest suggests the known key nearest to a misspelt one, if any is
// near enough.
func closest(k string, known []string) string {
	best, bestD := "", 3
	if len(k) <= 3 {
		bestD = 2
	}
	for _, c := range known {
		if d := EditDistance(strings.ToLower(k), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance, with a swap of two
// neighbouring letters counting as one edit (optimal string alignment).
// It suggests the key a misspelt one meant, and the command line uses it
// for a mistyped subcommand. Strings over 64 bytes are 64 apart: nobody
// misspells those.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
