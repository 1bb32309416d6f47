package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Commit is a git commit the daemon read a spec from.
type Commit struct {
	SHA, Revision   string
	Author, Message string
	Committed       time.Time
	FirstSeen       time.Time
}

// RecordCommit records that the spec at commit c.SHA has revision
// c.Revision; a commit recorded before keeps its first sighting.
func (s *Store) RecordCommit(ctx context.Context, c Commit) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO commits (sha, revision, author, message, committed, first_seen) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (sha) DO NOTHING`, c.SHA, c.Revision, c.Author, c.Message, c.Committed.UnixNano(), s.stamp())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record commit %s: %w", c.SHA, err)
	}
	return nil
}

// CommitOf returns the commit last seen holding revision, and false when
// no commit is known for it (a spec read from a directory).
func (s *Store) CommitOf(ctx context.Context, revision string) (Commit, bool, error) {
	var (
		c                    Commit
		committed, firstSeen int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT sha, revision, author, message, committed, first_seen FROM commits
		WHERE revision = ? ORDER BY first_seen DESC LIMIT 1`, revision).Scan(&c.SHA, &c.Revision, &c.Author, &c.Message, &committed, &firstSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return Commit{}, false, nil
	}
	if err != nil {
		return Commit{}, false, fmt.Errorf("store: commit of %s: %w", revision, err)
	}
	c.Committed, c.FirstSeen = timeOf(committed), timeOf(firstSeen)
	return c, true, nil
}

// Approve records that a person approved revision for the daemon to apply.
func (s *Store) Approve(ctx context.Context, revision, by string) error {
	if revision == "" {
		return errors.New("store: approve: no revision")
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO approvals (revision, approved_by, approved_at) VALUES (?, ?, ?)
			ON CONFLICT (revision) DO NOTHING`, revision, by, s.stamp())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: approve %s: %w", revision, err)
	}
	return nil
}

// Approved reports whether revision was approved, or was the last one an
// apply finished (what is in force needs no approval again).
func (s *Store) Approved(ctx context.Context, revision string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM approvals WHERE revision = ?1) +
		(SELECT count(*) FROM (SELECT revision FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1) WHERE revision = ?1)`,
		revision).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: approved %s: %w", revision, err)
	}
	return n > 0, nil
}
