using Agent.Bench;

// Converge, resync, self-heal and HTTP numbers, with the raw engine and docker-compose measured in the same run.
var results = new List<Row>();
await using var bench = new Bench(results);
await bench.ColdConvergeAsync(100);
await bench.NoOpResyncAsync([100, 500]);
await bench.SelfHealAsync(20);
await bench.HttpAsync(100);
Table.Print(results);
