package emulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// StateLock is an exclusive lock on a state dir, held by a running server or
// by a CLI command working on the same files.
type StateLock struct {
	f *os.File
}

// ErrStateDirBusy means another edge process holds the state dir.
var ErrStateDirBusy = errors.New("state dir is in use")

// LockStateDir takes the lock file <dir>/LOCK without waiting.
func LockStateDir(dir string) (*StateLock, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		data, _ := os.ReadFile(path)
		_ = f.Close()
		holder := strings.TrimSpace(string(data))
		if holder == "" {
			holder = "another edge process"
		} else {
			holder = "edge process " + holder
		}
		return nil, fmt.Errorf("%w: %s is locked by %s; stop that server first, or use its REST API, or pass a different --state-dir", ErrStateDirBusy, dir, holder)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &StateLock{f: f}, nil
}

// Release drops the lock.
func (l *StateLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
