// rjsf's AJV 8 validator, on Ajv2020 (the manifest's schemas are JSON Schema draft 2020-12).
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020';

const integer = (min, max) => ({
  type: 'number',
  validate: (n) => Number.isInteger(n) && n >= min && n <= max,
});

// The integer formats schemars writes (their ranges are also given as minimum/maximum), and
// `password`, a rendering hint.
const customFormats = {
  password: /^[\s\S]*$/,
  uint: integer(0, Number.MAX_SAFE_INTEGER),
  uint8: integer(0, 255),
  uint16: integer(0, 65535),
  uint32: integer(0, 4294967295),
  uint64: integer(0, Number.MAX_SAFE_INTEGER),
  int: integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  int8: integer(-128, 127),
  int16: integer(-32768, 32767),
  int32: integer(-2147483648, 2147483647),
  int64: integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
};

const validator = customizeValidator({
  AjvClass: Ajv2020,
  customFormats,
  ajvOptionsOverrides: { strictSchema: false, logger: false },
});

export default validator;
