def test_pages_render(client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["teacher1"])
    for path in ["/", "/log", "/log?q=am", f"/entries/{entry_id}"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.data[:3000])
    auth.as_(world["dsl"])
    for path in ["/", "/review", f"/entries/{entry_id}", f"/pupils/{world.pupils[0].id}/chronology"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.data[:3000])
