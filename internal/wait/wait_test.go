package wait

import (
	"context"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep(1 ms): got false; want true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep(1 h) with an ended context: got true; want false")
	}
	if Sleep(ctx, 0) {
		t.Error("Sleep(0) with an ended context: got true; want false")
	}
}
