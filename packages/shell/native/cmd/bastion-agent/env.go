package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// defaultPath is used when neither the container nor the request sets PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// overlay is the command's environment: the container's (IAM_ROLE, HOME, PATH and the
// rest), with each request entry replacing the variable of the same name.
func overlay(base, over []string) []string {
	env := append([]string(nil), base...)
	index := map[string]int{}
	for i, entry := range env {
		name, _, _ := strings.Cut(entry, "=")
		if _, ok := index[name]; !ok {
			index[name] = i
		}
	}
	for _, entry := range over {
		name, _, ok := strings.Cut(entry, "=")
		if !ok || name == "" {
			continue
		}
		if i, ok := index[name]; ok {
			env[i] = entry
		} else {
			index[name] = len(env)
			env = append(env, entry)
		}
	}
	return env
}

// getenv is the value of name in env, first entry winning as in getenv(3).
func getenv(env []string, name string) string {
	for _, entry := range env {
		if key, value, ok := strings.Cut(entry, "="); ok && key == name {
			return value
		}
	}
	return ""
}

// lookPath finds file in the command's own PATH, not the agent's, as a shell would.
// Relative PATH entries are skipped: they would be resolved against the agent's
// directory, not the command's.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil // exec itself reports a missing or unrunnable file
	}
	if path == "" {
		path = defaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		candidate := filepath.Join(dir, file)
		if info, err := os.Stat(candidate); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("%s: command not found: %w", file, syscall.ENOENT)
}
