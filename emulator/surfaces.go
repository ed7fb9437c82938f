package emulator

// surfaces lists the surfaces of services that are wired, beyond the REST API.
func (e *Emulator) surfaces(base string) []Surface {
	var out []Surface
	if e.Auth != nil {
		out = append(out, Surface{"Supabase Auth", base + "/auth/v1"})
	}
	return out
}
