package d1_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"jobmatch-edge/emulator/emulatortest"
)

// BenchmarkRESTPointSelect: POST /query with a point select by primary key
// over loopback HTTP from 32 concurrent clients.
func BenchmarkRESTPointSelect(b *testing.B) {
	emu := emulatortest.New(b)
	url := emu.AccountURL() + "/d1/database/" + devDBID + "/query"
	post := func(body string) error {
		resp, err := emu.Client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := post(`{"sql":"CREATE TABLE bench_kv (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) INSERT INTO bench_kv SELECT n, 'value ' || n FROM c"}`); err != nil {
		b.Fatal(err)
	}
	emu.Client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.SetParallelism(16) // 16 x GOMAXPROCS(2) = 32 clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i = i%1000 + 1
			if err := post(fmt.Sprintf(`{"sql":"SELECT id, v FROM bench_kv WHERE id = ?","params":[%d]}`, i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
