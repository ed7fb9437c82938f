package supabase

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

const schema = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  encrypted_password TEXT NOT NULL,
  user_metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_sign_in_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  revoked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  parent TEXT NOT NULL DEFAULT '',
  revoked_at INTEGER
);`

// addedColumns are refresh_tokens columns newer than the first schema,
// added to an older auth.sqlite when it is opened.
var addedColumns = []struct{ name, def string }{
	{"parent", "TEXT NOT NULL DEFAULT ''"},
	{"revoked_at", "INTEGER"},
}

// user is a GoTrue user row.
type user struct {
	ID           string
	Email        string
	PasswordHash string
	Metadata     map[string]any
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastSignIn   time.Time
}

type session struct {
	ID        string
	UserID    string
	CreatedAt time.Time
	tokens    []*refreshToken // its refresh tokens, in the order issued
}

// active is the session's currently active refresh token: the newest one
// not revoked (nil if none).
func (se *session) active() *refreshToken {
	for i := len(se.tokens) - 1; i >= 0; i-- {
		if !se.tokens[i].Revoked {
			return se.tokens[i]
		}
	}
	return nil
}

type refreshToken struct {
	Token     string
	SessionID string
	Parent    string // the token it was issued for ("" for a session's first)
	Revoked   bool
	RevokedAt time.Time
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// load reads every row into the in-memory maps.
func (s *Service) load() error {
	if _, err := s.db.Exec(schema); err != nil {
		return fmt.Errorf("auth schema: %w", err)
	}
	if err := s.addColumns(); err != nil {
		return fmt.Errorf("auth schema: %w", err)
	}
	rows, err := s.db.Query(`SELECT id, email, encrypted_password, user_metadata, created_at, updated_at, last_sign_in_at FROM users`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u user
		var meta string
		var created, updated, last sql.NullInt64
		if err := rows.Scan(&u.ID, &u.Email, &u.PasswordHash, &meta, &created, &updated, &last); err != nil {
			rows.Close()
			return err
		}
		_ = json.Unmarshal([]byte(meta), &u.Metadata)
		u.CreatedAt, u.UpdatedAt, u.LastSignIn = fromMS(created), fromMS(updated), fromMS(last)
		s.users[u.ID] = &u
		s.byEmail[u.Email] = &u
	}
	rows.Close()
	rows, err = s.db.Query(`SELECT id, user_id, created_at FROM sessions`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var se session
		var created sql.NullInt64
		if err := rows.Scan(&se.ID, &se.UserID, &created); err != nil {
			rows.Close()
			return err
		}
		se.CreatedAt = fromMS(created)
		s.sessions[se.ID] = &se
	}
	rows.Close()
	rows, err = s.db.Query(`SELECT token, session_id, parent, revoked, revoked_at FROM refresh_tokens ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rt refreshToken
		var revokedAt sql.NullInt64
		if err := rows.Scan(&rt.Token, &rt.SessionID, &rt.Parent, &rt.Revoked, &revokedAt); err != nil {
			return err
		}
		rt.RevokedAt = fromMS(revokedAt)
		s.refresh[rt.Token] = &rt
		if se := s.sessions[rt.SessionID]; se != nil {
			se.tokens = append(se.tokens, &rt)
		}
	}
	return rows.Err()
}

// addColumns brings an auth.sqlite written before addedColumns up to date.
func (s *Service) addColumns() error {
	rows, err := s.db.Query(`SELECT name FROM pragma_table_info('refresh_tokens')`)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range addedColumns {
		if !have[c.name] {
			if _, err := s.db.Exec(`ALTER TABLE refresh_tokens ADD COLUMN ` + c.name + ` ` + c.def); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) saveUser(u *user) error {
	meta, _ := json.Marshal(u.Metadata)
	var last any
	if !u.LastSignIn.IsZero() {
		last = ms(u.LastSignIn)
	}
	_, err := s.db.Exec(`INSERT INTO users (id, email, encrypted_password, user_metadata, created_at, updated_at, last_sign_in_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET email=excluded.email, encrypted_password=excluded.encrypted_password,
		user_metadata=excluded.user_metadata, updated_at=excluded.updated_at, last_sign_in_at=excluded.last_sign_in_at`,
		u.ID, u.Email, u.PasswordHash, string(meta), ms(u.CreatedAt), ms(u.UpdatedAt), last)
	return err
}
