-- Spot and reserved prices beside on-demand, and the gp3 storage price per region (issue 20).
--  - prices.capacity_type says which kind a row is; every row before this migration is on-demand. A type
--    has at most one price of each kind per region.
--  - spot rows are the median of the latest price in each Availability Zone (DescribeSpotPriceHistory):
--    az_count says how many zones, spot_timestamp when AWS last set one of those prices. Other kinds
--    have neither.
--  - storage_prices: USD per GB-month of an EBS volume type (the Price List API's unit "GB-Mo").
-- A refresh writes all of them in the one transaction that writes a catalog version (repository.ts).

ALTER TABLE prices
  ADD COLUMN capacity_type text NOT NULL DEFAULT 'on-demand'
    CHECK (capacity_type IN ('on-demand', 'spot', 'reserved-1y')),
  ADD COLUMN az_count integer CHECK (az_count > 0),
  ADD COLUMN spot_timestamp timestamptz;

ALTER TABLE prices
  ADD CONSTRAINT prices_spot_fields CHECK (
    (capacity_type = 'spot') = (az_count IS NOT NULL)
    AND (capacity_type = 'spot' OR spot_timestamp IS NULL)
  );

ALTER TABLE prices DROP CONSTRAINT prices_pkey;
ALTER TABLE prices ADD PRIMARY KEY (region, instance_type, capacity_type);

CREATE TABLE storage_prices (
  region            text NOT NULL,
  volume_type       text NOT NULL CHECK (volume_type IN ('gp3')),
  usd_per_gb_month  numeric(14, 6) NOT NULL CHECK (usd_per_gb_month > 0),
  source            text NOT NULL,
  as_of             timestamptz NOT NULL,
  PRIMARY KEY (region, volume_type)
);
