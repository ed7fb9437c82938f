package emulator

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// extraListener is a surface that needs its own address (R2's S3 endpoint).
type extraListener struct {
	name, addr, note string
	handler          http.Handler
}

// Listener is a bound extra surface, ready to Serve.
type Listener struct {
	Name     string // e.g. "S3 (R2)"
	URL      string // http://host:port
	Note     string // shown in the banner, e.g. the credentials
	Listener net.Listener
	Server   *http.Server
}

// addListener registers a surface served on its own address by `edge serve`.
func (e *Emulator) addListener(name, addr, note string, h http.Handler) {
	e.extra = append(e.extra, extraListener{name: name, addr: addr, note: note, handler: h})
}

// ExtraListeners binds the surfaces that have their own address. The caller
// serves and shuts them down.
func (e *Emulator) ExtraListeners() ([]Listener, error) {
	var out []Listener
	for _, x := range e.extra {
		ln, err := net.Listen("tcp", x.addr)
		if err != nil {
			for _, l := range out {
				_ = l.Listener.Close()
			}
			return nil, fmt.Errorf("%s: listening on %s: %w (pick another address with its flag)", x.name, x.addr, err)
		}
		out = append(out, Listener{
			Name: x.name, URL: "http://" + ln.Addr().String(), Note: x.note, Listener: ln,
			Server: &http.Server{Handler: x.handler, ReadHeaderTimeout: 10 * time.Second},
		})
	}
	return out, nil
}
