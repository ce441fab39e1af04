package rejection

import "github.com/o2c-platform/o2c/libs/telemetry"

// Metric counts the rejections a store records, with the attributes
// "service", "consumer" and "reason" (the reason code). A message recorded
// again while its rejection is open (the same consumer, subject, payload
// and reason) is not counted again. Prometheus shows it as
// o2c_rejections_total.
const Metric = "o2c.rejections"

// Instrument makes the store count what it records in Metric on p's meter.
// Without it the store counts nothing.
func (s *Store) Instrument(p telemetry.Providers) error {
	c, err := telemetry.NewMeter(p, "github.com/o2c-platform/o2c/libs/rejection").
		Counter(Metric, "Rejections recorded, by consumer and reason.", "{rejection}")
	if err != nil {
		return err
	}
	s.recorded = c
	return nil
}
