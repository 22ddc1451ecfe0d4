package postgis

import "time"

// PoolConns returns the pool's connections now in use, idle, and the most it
// opens. It satisfies handlers.PoolStater, which /metrics reads; the numbers
// are plain so that neither package imports the other.
func (s *Store) PoolConns() (inUse, idle, max int) {
	st := s.pool.Stat()
	return int(st.AcquiredConns()), int(st.IdleConns()), int(st.MaxConns())
}

// PoolAcquires returns how many connections were taken from the pool since
// it opened, how many of those had to wait because none was idle, and the
// total time spent waiting for them.
func (s *Store) PoolAcquires() (acquires, waited int64, waitTime time.Duration) {
	st := s.pool.Stat()
	return st.AcquireCount(), st.EmptyAcquireCount(), st.EmptyAcquireWaitTime()
}
