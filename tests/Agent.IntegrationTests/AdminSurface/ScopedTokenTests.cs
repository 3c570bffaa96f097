using System.Net;
using Agent.Auth;
using Agent.IntegrationTests.Infrastructure;
using static Agent.IntegrationTests.AdminSurface.AdminSurfaceFixture;

namespace Agent.IntegrationTests.AdminSurface;

/// <summary>Tokens scoped to phases or groups act inside their scope and get a 403 naming the scope outside it; reads are not limited.</summary>
[Collection(AdminSurfaceCollection.Name)]
public sealed class ScopedTokenTests(AdminSurfaceFixture fx)
{
    private static Task<string> StartedAtAsync(string id) => DockerCli.InspectAsync(id, "{{.State.StartedAt}}");

    [Fact]
    public async Task A_phase_scoped_operator_restarts_inside_its_phase_and_is_refused_outside_it()
    {
        var web = await fx.ContainerIdAsync(fx.App, "web");
        var db = await fx.ContainerIdAsync(fx.Core, "db");
        var webStarted = await StartedAtAsync(web);
        var dbStarted = await StartedAtAsync(db);
        using var client = fx.Client(ApplicationOperator);

        var refused = await ReadAsync(await client.PostAsync($"/api/v1/containers/{db}/restart?timeout=0", null), HttpStatusCode.Forbidden);
        var detail = refused.GetProperty("detail").GetString()!;
        Assert.Contains("phases=application", detail);
        Assert.Contains($"ServiceGroup/{fx.Core} (phase core)", detail);
        Assert.Equal("core", refused.GetProperty("object").GetProperty("phase").GetString());
        Assert.Equal("application", refused.GetProperty("scope").GetProperty("phases")[0].GetString());
        Assert.Equal(dbStarted, await StartedAtAsync(db));

        await ReadAsync(await client.PostAsync($"/api/v1/containers/{web}/restart?timeout=0", null), HttpStatusCode.OK);
        Assert.NotEqual(webStarted, await StartedAtAsync(web));

        await ReadAsync(await client.PostAsync($"/api/v1/servicegroups/{fx.Core}/stop", null), HttpStatusCode.Forbidden);
        await ReadAsync(await client.GetAsync($"/api/v1/containers/{db}/logs"), HttpStatusCode.Forbidden);
        Assert.Equal("true", await DockerCli.InspectAsync(db, "{{.State.Running}}"));
    }

    [Fact]
    public async Task A_scoped_token_reads_everything_its_role_may()
    {
        using var client = fx.Client(ApplicationOperator);
        var containers = await ReadAsync(await client.GetAsync("/api/v1/containers"), HttpStatusCode.OK);
        Assert.Contains(containers.EnumerateArray(), c => c.GetProperty("group").GetString() == fx.Core);
        await ReadAsync(await client.GetAsync($"/api/v1/servicegroups/{fx.Core}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_group_scoped_operator_acts_on_its_group_only()
    {
        using var client = fx.Client(CoreGroupOperator);
        var refused = await ReadAsync(await client.PostAsync($"/api/v1/servicegroups/{fx.App}/restart", null), HttpStatusCode.Forbidden);
        Assert.Contains($"groups={fx.Core}", refused.GetProperty("detail").GetString());
        Assert.Contains($"ServiceGroup/{fx.App}", refused.GetProperty("detail").GetString());
        var db = await fx.ContainerIdAsync(fx.Core, "db");
        await ReadAsync(await client.GetAsync($"/api/v1/containers/{db}/stats"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_scoped_admin_is_refused_where_no_group_or_phase_applies()
    {
        using var client = fx.Client(ApplicationAdmin);
        var refused = await ReadAsync(await client.PostAsync("/api/v1/images/prune", null), HttpStatusCode.Forbidden);
        Assert.Contains("acts on nothing that belongs to a group or phase", refused.GetProperty("detail").GetString());
        await ReadAsync(await client.PostAsync("/api/v1/volumes/prune", null), HttpStatusCode.Forbidden);
        var volume = await ReadAsync(await client.DeleteAsync($"/api/v1/volumes/{fx.CoreVolume}?force=true"), HttpStatusCode.Forbidden);
        Assert.Contains("(phase core) is outside it", volume.GetProperty("detail").GetString());
        Assert.Equal(fx.CoreVolume, (await DockerCli.RunAsync("volume", "inspect", "--format", "{{.Name}}", fx.CoreVolume)).Trim());
    }

    [Fact]
    public async Task A_jwt_with_a_phases_claim_is_scoped_like_a_token()
    {
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        using var client = fx.Client(Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{exp},\"phases\":[\"core\"]}}", fx.JwtKey));
        var db = await fx.ContainerIdAsync(fx.Core, "db");
        var web = await fx.ContainerIdAsync(fx.App, "web");
        await ReadAsync(await client.GetAsync($"/api/v1/containers/{db}/stats"), HttpStatusCode.OK);
        var refused = await ReadAsync(await client.GetAsync($"/api/v1/containers/{web}/stats"), HttpStatusCode.Forbidden);
        Assert.Contains("phases=core", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_jwt_with_a_crit_header_or_a_groups_claim_that_is_no_object_name_is_401()
    {
        static string B64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var header = B64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}");
        var payload = B64($"{{\"role\":\"admin\",\"exp\":{exp}}}");
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(fx.JwtKey, System.Text.Encoding.ASCII.GetBytes(header + "." + payload)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using (var crit = fx.Client($"{header}.{payload}.{signature}"))
            await ReadAsync(await crit.GetAsync("/api/v1/containers"), HttpStatusCode.Unauthorized);
        using (var badGroup = fx.Client(Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{exp},\"groups\":\"NOPE!\"}}", fx.JwtKey)))
            await ReadAsync(await badGroup.GetAsync("/api/v1/containers"), HttpStatusCode.Unauthorized);
        // The same claims, valid: accepted, so only the crit header and the bad group refused them.
        using (var good = fx.Client(Jwt.CreateWithPayload($"{{\"role\":\"operator\",\"exp\":{exp},\"groups\":\"{fx.Core}\"}}", fx.JwtKey)))
            await ReadAsync(await good.GetAsync("/api/v1/containers"), HttpStatusCode.OK);
    }
}
