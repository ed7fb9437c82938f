package supabase

import (
	"encoding/json"
	"testing"
)

// TestUserJSONStructsEncodeAsTheirMaps: app_metadata and identity_data are
// rendered from structs; their bytes must be the maps' (sorted keys).
func TestUserJSONStructsEncodeAsTheirMaps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		typed, raw any
	}{
		{"app_metadata", appMetaJSON{Provider: "email", Providers: []string{"email"}}, appMetadata()},
		{"identity_data",
			identityData{Email: "a@b.c", EmailVerified: true, Sub: "u-1"},
			map[string]any{"email": "a@b.c", "email_verified": true, "phone_verified": false, "sub": "u-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := json.Marshal(tc.typed)
			b, _ := json.Marshal(tc.raw)
			if string(a) != string(b) {
				t.Errorf("struct %s, map %s", a, b)
			}
		})
	}
}
