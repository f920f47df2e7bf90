using System.Globalization;
using Npgsql;
using UrbanMonitor.Database.Loading;
using UrbanMonitor.Domain.Synthetic;

namespace UrbanMonitor.Database.Demo;

/// <summary>What a demo load did for one city.</summary>
public sealed record CityLoadResult(string Slug, bool AlreadyLoaded, IReadOnlyDictionary<string, long> Counts, long Repaired);

/// <summary>
/// Loads the demo cities: Rio de Janeiro, Mazar-e-Sharif and (when present) Nairobi from the real data sets in
/// <c>../shared/data</c>, or a generated <c>synthetic</c> city when that folder is missing. Each city loads in one
/// transaction, so a killed load leaves nothing behind and a rerun skips cities already there.
/// </summary>
public sealed class DemoLoader(NpgsqlDataSource dataSource, IProgress<string>? progress = null)
{
    /// <summary>True when <paramref name="dataDir"/> holds the real data sets the demo uses.</summary>
    public static bool HasRealData(string? dataDir) =>
        dataDir is not null
        && File.Exists(Path.Combine(dataDir, "rio", "limite_favelas.geojson"))
        && File.Exists(Path.Combine(dataDir, "mazar", "mazar_parcels_district1_sample.geojson"));

    /// <summary>Loads the real cities from <paramref name="dataDir"/>.</summary>
    public async Task<IReadOnlyList<CityLoadResult>> LoadRealAsync(string dataDir, CancellationToken ct = default)
    {
        var results = new List<CityLoadResult>
        {
            await LoadRioAsync(Path.Combine(dataDir, "rio"), ct),
            await LoadMazarAsync(Path.Combine(dataDir, "mazar"), ct),
        };
        var nairobi = Path.Combine(dataDir, "nairobi");
        if (File.Exists(Path.Combine(nairobi, "GTFS_FEED_2019.zip")) && File.Exists(Path.Combine(nairobi, "nairobi_county_boundary.geojson")))
            results.Add(await LoadNairobiAsync(nairobi, ct));
        return results;
    }

    /// <summary>Generates and loads the <c>synthetic</c> city (deterministic for a seed).</summary>
    public async Task<CityLoadResult> LoadSyntheticAsync(int parcels = 10_000, int seed = 42, CancellationToken ct = default)
    {
        var result = await LoadSyntheticLayersAsync(parcels, seed, ct);
        if (!result.AlreadyLoaded)
        {
            // Community councils and projects (0080_community.sql) over the generated settlements.
            await using var cmd = dataSource.CreateCommand(LayerTables.Embedded("synthetic_community.sql"));
            cmd.Parameters.Add(new NpgsqlParameter { Value = await CityIdAsync("synthetic", ct) });
            var councils = await cmd.ExecuteScalarAsync(ct); // not inside Report(...): ?. would skip it without a progress
            progress?.Report($"Synthetic City: {councils} community councils");
        }
        return result;
    }

    private async Task<int> CityIdAsync(string slug, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id FROM cities WHERE slug = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private Task<CityLoadResult> LoadSyntheticLayersAsync(int parcels, int seed, CancellationToken ct)
    {
        var city = new SyntheticCity(parcels, seed);
        var source = new LayerSource($"UrbanMonitor synthetic city generator (seed {seed}, {parcels} parcels)", "CC0 1.0 (generated data)");
        return LoadCityAsync(
            // Five people per parcel now; 60 % of that in 2005, the first built-up epoch (for SDG 11.3.1).
            new CityDefinition("synthetic", SyntheticCity.CityCode, "Synthetic City", "ZZ",
                [(2005, parcels * 3L, "generator: 3 people per parcel"), (2020, parcels * 5L, "generator: 5 people per parcel")]),
            [
                ("districts", source, () => city.Districts().Select(d => new StagedFeature
                    { Code = d.Code, Name = d.Name, Population = d.Population, Geometry = d.Geometry })),
                ("settlements", source, () => city.Settlements().Select(s => new StagedFeature
                    { Code = s.Code, Name = s.Name, Population = s.Population, Households = s.Households, Source = "generated", Geometry = s.Geometry })),
                ("properties", source, () => city.Parcels().Select(p => new StagedFeature
                    { DistrictCode = p.District, Block = p.Block, Parcel = p.Parcel, Geometry = p.Geometry })),
                ("transit-stops", source, () => city.Stops().Select(s => new StagedFeature
                    { Code = s.Code, Name = s.Name, Capacity = s.Capacity, Mode = s.Mode, Geometry = s.Geometry })),
                ("streets", source, () => city.Streets().Select(s => new StagedFeature { Name = s.Name, Kind = s.Class, Geometry = s.Geometry })),
                ("open-spaces", source, () => city.OpenSpaces().Select(o => new StagedFeature { Name = o.Name, Kind = o.Kind, Geometry = o.Geometry })),
                ("built-up", source, () => city.BuiltUp().Select(b => new StagedFeature { Year = b.Epoch, Geometry = b.Geometry })),
                ("population-units", source, () => city.PopulationUnits().Select(u => new StagedFeature
                    { Code = u.Code, Population = u.Population, Year = 2020, Geometry = u.Geometry })),
                ("facilities", source, () => city.Facilities().Select(f => new StagedFeature { Kind = f.Kind, Name = f.Name, Geometry = f.Geometry })),
                ("hazard-zones", source, () => city.HazardZones().Select(z => new StagedFeature { Kind = z.Hazard, Name = z.Level, Geometry = z.Geometry })),
            ],
            ct);
    }

    private async Task<CityLoadResult> LoadRioAsync(string dir, CancellationToken ct)
    {
        const string dataRio = "Data.Rio (Instituto Pereira Passos, Prefeitura da Cidade do Rio de Janeiro)";
        const string licence = "Data.Rio open data";
        var ids = await GeoJsonFile.ReadAsync(Path.Combine(dir, "indice_desenvolvimento_social.geojson"), ct);
        // codbairro is zero-padded text in the boundaries ("013") and an integer here (13): join on the number.
        var population = ids.Where(f => f.Long("codbairro") is not null)
            .ToDictionary(f => f.Long("codbairro")!.Value, f => (People: f.Long("pesdom_pp"), Households: f.Long("numdom_pp")));
        var bairros = await GeoJsonFile.ReadAsync(Path.Combine(dir, "limite_de_bairros.geojson"), ct);
        var favelas = await GeoJsonFile.ReadAsync(Path.Combine(dir, "limite_favelas.geojson"), ct);
        var bus = await GeoJsonFile.ReadAsync(Path.Combine(dir, "paradas_de_onibus.geojson"), ct);
        var metro = await GeoJsonFile.ReadAsync(Path.Combine(dir, "estacoes_metro.geojson"), ct);

        return await LoadCityAsync(
            new CityDefinition("rio-de-janeiro", "RIO", "Rio de Janeiro", "BR", [(2010, 6_320_446, "IBGE Censo Demográfico 2010")]),
            [
                ("districts", new LayerSource($"{dataRio}: Limite de Bairros; population from Índice de Desenvolvimento Social (IBGE Censo 2010)", licence), () => bairros.Select(f =>
                {
                    var code = f.Text("codbairro") ?? throw new InvalidDataException("A Rio neighbourhood has no codbairro.");
                    population.TryGetValue(long.Parse(code, CultureInfo.InvariantCulture), out var pop);
                    return new StagedFeature
                    {
                        Code = code, Name = f.Text("nome"), Population = pop.People, Households = pop.Households,
                        Attributes = f.AttributesJson(), Geometry = f.Geometry,
                    };
                })),
                ("settlements", new LayerSource($"{dataRio}: Limite de Favelas, population and households IBGE Censo 2010", licence), () => favelas.Select(f =>
                {
                    // 0 in the census columns means "not enumerated" for these favelas: keep it unknown, not zero.
                    var people = f.Long("pop_sabren");
                    var households = f.Long("dom_sabren");
                    return new StagedFeature
                    {
                        Code = f.Text("cod_favela") ?? f.Text("objectid"), Name = f.Text("nome"),
                        Population = people is > 0 ? people : null, Households = households is > 0 ? households : null,
                        Source = f.Text("fonte"),
                        // One survey round for the whole layer: the 2010 census its population comes from.
                        Year = 2010,
                        SurveyedOn = DateOnly.TryParse(f.Text("data_cadas"), CultureInfo.InvariantCulture, out var d) ? d : null,
                        Attributes = f.AttributesJson(), Geometry = f.Geometry,
                    };
                })),
                ("transit-stops", new LayerSource($"{dataRio}: Paradas de ônibus; Estações de metrô", licence), () =>
                    bus.Select(f => new StagedFeature
                    {
                        Code = "bus-" + f.Text("fid"), Name = f.Text("stop_name"), Capacity = "low", Mode = "bus",
                        Attributes = f.AttributesJson(), Geometry = f.Geometry,
                    }).Concat(metro.Select(f => new StagedFeature
                    {
                        Code = "metro-" + f.Text("cod"), Name = f.Text("nome"), Capacity = "high", Mode = "metro",
                        Attributes = f.AttributesJson(), Geometry = f.Geometry,
                    }))),
            ],
            ct);
    }

    private async Task<CityLoadResult> LoadMazarAsync(string dir, CancellationToken ct)
    {
        const string programme = "RAMP-UP North (USAID) municipal GIS of Mazar-e-Sharif";
        var districts = await GeoJsonFile.ReadAsync(Path.Combine(dir, "mazar_districts.geojson"), ct);
        var parcels = await GeoJsonFile.ReadAsync(Path.Combine(dir, "mazar_parcels_district1_sample.geojson"), ct);
        return await LoadCityAsync(
            new CityDefinition("mazar-e-sharif", "MZR", "Mazar-e-Sharif", "AF", []),
            [
                ("districts", new LayerSource($"{programme}: city districts (nahias)", "CC BY-NC 3.0"), () => districts.Select(f =>
                {
                    var code = f.Text("District") ?? throw new InvalidDataException("A Mazar district has no District number.");
                    return new StagedFeature { Code = code, Name = "Nahia " + code, Attributes = f.AttributesJson(), Geometry = f.Geometry };
                })),
                ("properties", new LayerSource($"{programme}: surveyed parcels of district 1 (sample)", "No licence stated; test and demonstration use only"), () => parcels.Select(f => new StagedFeature
                {
                    DistrictCode = f.Text("Dist_No"), Block = f.Text("Block_Numb"), Parcel = f.Text("Parcel_ID"),
                    Attributes = f.AttributesJson(), Geometry = f.Geometry,
                })),
            ],
            ct);
    }

    private async Task<CityLoadResult> LoadNairobiAsync(string dir, CancellationToken ct)
    {
        var county = await GeoJsonFile.ReadAsync(Path.Combine(dir, "nairobi_county_boundary.geojson"), ct);
        var stops = ReadGtfsStops(Path.Combine(dir, "GTFS_FEED_2019.zip"));
        var gtfs = new LayerSource("Digital Matatus GTFS feed for Nairobi (2019)", "CC BY 4.0");
        return await LoadCityAsync(
            new CityDefinition("nairobi", "NBO", "Nairobi", "KE", []),
            [
                ("districts", new LayerSource("Nairobi County boundary", "Source unstated; demonstration use"), () => county.Select(f => new StagedFeature
                    { Code = "1", Name = "Nairobi County", Attributes = f.AttributesJson(), Geometry = f.Geometry })),
                ("transit-stops", gtfs, () => stops),
            ],
            ct);
    }

    // Stops only (location_type 0 or empty): parent stations (1) are not boarding points. Departures per stop come
    // from the same GTFS reader as the import job (frequencies expanded).
    private static List<StagedFeature> ReadGtfsStops(string zipPath)
    {
        using var source = Imports.ImportFile.Open(zipPath) as Imports.GtfsSource
            ?? throw new InvalidDataException($"{zipPath} is not a GTFS feed.");
        var list = new List<StagedFeature>();
        foreach (var f in source.ReadFeatures(CancellationToken.None))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(f.PropertiesJson);
            var p = doc.RootElement;
            if (p.GetProperty("location_type").GetString() != "0" || f.Geometry is null) continue;
            f.Geometry.SRID = 4326;
            list.Add(new StagedFeature
            {
                Code = p.GetProperty("stop_id").GetString(), Name = p.GetProperty("stop_name").GetString(),
                Capacity = "low", Mode = "matatu", PeakDepartures = p.GetProperty("peak_departures").GetInt32(),
                Attributes = f.PropertiesJson, Geometry = f.Geometry,
            });
        }
        return list;
    }

    private async Task<CityLoadResult> LoadCityAsync(
        CityDefinition city,
        IReadOnlyList<(string Layer, LayerSource Source, Func<IEnumerable<StagedFeature>> Rows)> layers,
        CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Serialise concurrent loaders of the same city; the loser sees the city and skips it.
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('urbanmonitor.demo:' || $1))", conn, tx))
        {
            lockCmd.Parameters.Add(new NpgsqlParameter { Value = city.Slug });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM cities WHERE slug = $1", conn, tx))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = city.Slug });
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                progress?.Report($"{city.Name}: already loaded, skipped.");
                return new CityLoadResult(city.Slug, true, new Dictionary<string, long>(), 0);
            }
        }

        int cityId;
        await using (var insert = new NpgsqlCommand(LayerTables.Embedded("insert_city.sql"), conn, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = city.Slug });
            insert.Parameters.Add(new NpgsqlParameter { Value = city.Code });
            insert.Parameters.Add(new NpgsqlParameter { Value = city.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = city.Country });
            cityId = (int)(await insert.ExecuteScalarAsync(ct))!;
        }
        foreach (var (year, population, source) in city.Population)
        {
            await using var pop = new NpgsqlCommand("INSERT INTO city_population (city_id, year, population, source) VALUES ($1, $2, $3, $4)", conn, tx);
            pop.Parameters.Add(new NpgsqlParameter { Value = cityId });
            pop.Parameters.Add(new NpgsqlParameter { Value = year });
            pop.Parameters.Add(new NpgsqlParameter { Value = population });
            pop.Parameters.Add(new NpgsqlParameter { Value = source });
            await pop.ExecuteNonQueryAsync(ct);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long repaired = 0;
        foreach (var (layer, source, rows) in layers)
        {
            progress?.Report($"{city.Name}: loading {layer}…");
            var (published, fixedUp) = await LayerTables.PublishAsync(conn, cityId, layer, rows(), source, ct);
            counts[layer] = published;
            repaired += fixedUp;
            progress?.Report($"{city.Name}: {published:N0} {layer}" + (fixedUp > 0 ? $" ({fixedUp} invalid geometries repaired with ST_MakeValid)" : ""));
        }
        await tx.CommitAsync(ct);
        // The partitioned registry's statistics, brought up to the parcels just loaded (best effort: advice to the planner).
        if (counts.GetValueOrDefault("properties") > 0)
        {
            try { await Registration.RegistryStatistics.RefreshAsync(dataSource, force: true, CancellationToken.None); }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { progress?.Report($"{city.Name}: statistics not gathered ({e.Message})"); }
        }
        return new CityLoadResult(city.Slug, false, counts, repaired);
    }
}
