-- The catalog: EC2 instance network limits and on-demand prices, versioned as a whole.

CREATE TABLE instance_types (
  name                   text PRIMARY KEY,
  family                 text NOT NULL,
  vcpu                   integer CHECK (vcpu > 0),
  memory_mib             integer CHECK (memory_mib > 0),
  arch                   text CHECK (arch IN ('amd64', 'arm64')),
  max_enis               integer NOT NULL CHECK (max_enis > 0),
  ipv4_per_eni           integer NOT NULL CHECK (ipv4_per_eni > 0),
  network_cards          integer NOT NULL CHECK (network_cards > 0),
  max_enis_all_cards     integer NOT NULL CHECK (max_enis_all_cards >= max_enis),
  ipv6_supported         boolean NOT NULL,
  hypervisor             text CHECK (hypervisor IN ('nitro', 'xen')),
  bare_metal             boolean NOT NULL,
  trunking               boolean NOT NULL,
  branch_enis            integer NOT NULL CHECK (branch_enis >= 0),
  encryption_in_transit  boolean,
  network_performance    text,
  network_bandwidth_mbps integer CHECK (network_bandwidth_mbps > 0),
  source                 text NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX instance_types_family ON instance_types (family);

-- Prices are decimal strings in every AWS source: numeric, never float.
CREATE TABLE prices (
  region        text NOT NULL,
  instance_type text NOT NULL,
  usd_per_hour  numeric(14, 6) NOT NULL CHECK (usd_per_hour > 0),
  source        text NOT NULL,
  as_of         timestamptz NOT NULL,
  PRIMARY KEY (region, instance_type)
);

-- A new row whenever the catalog changes; the newest row is the catalog every replica should serve.
CREATE TABLE catalog_versions (
  version        bigserial PRIMARY KEY,
  created_at     timestamptz NOT NULL DEFAULT now(),
  source         text NOT NULL,
  instance_types integer NOT NULL,
  prices         integer NOT NULL,
  note           text
);

CREATE TABLE refresh_runs (
  id               bigserial PRIMARY KEY,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  regions          text[] NOT NULL,
  status           text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'refused')),
  instance_types   integer,
  prices           integer,
  skipped          jsonb,
  error            text,
  catalog_version  bigint REFERENCES catalog_versions (version)
);
